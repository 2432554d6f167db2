// Preparing a message for signing: RFC 8551 §3.1 (canonicalization) and §3.1.3 (transfer
// encoding), in the order GMime's own sign_prepare uses.
#include <algorithm>
#include <cctype>

#include "mime/mime.h"
#include "smimekit/error.h"

namespace smimekit::mime {

namespace {

bool is_content_field(std::string_view name) {
  auto lower = [](std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
  };
  const std::string n = lower(name);
  return n == "mime-version" || n.rfind("content-", 0) == 0;
}

// Splits the raw header block into fields (each with its continuation lines) and keeps those
// that stay outside the signature, byte for byte.
}  // namespace

std::string outer_headers(std::string_view message) {
  std::string out;
  std::size_t pos = 0;
  // An mbox "From " separator line is not a header field.
  if (message.rfind("From ", 0) == 0) {
    pos = message.find('\n');
    pos = pos == std::string_view::npos ? message.size() : pos + 1;
  }
  bool keep = false;
  bool first = true;
  while (pos < message.size()) {
    std::size_t eol = message.find('\n', pos);
    if (eol == std::string_view::npos) eol = message.size();
    std::string_view line = message.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // the blank line that ends the header
    if (line.front() == ' ' || line.front() == '\t') {
      if (first) {
        throw Error(ErrorCode::Input,
                    "the input is not a mail message: it starts with a continuation line");
      }
      if (keep) out.append(line).append("\r\n");
    } else {
      const auto colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0 ||
          line.substr(0, colon).find_first_of(" \t") != std::string_view::npos) {
        throw Error(ErrorCode::Input,
                    "the input is not a mail message: a header line has no field name");
      }
      keep = !is_content_field(line.substr(0, colon));
      if (keep) out.append(line).append("\r\n");
    }
    first = false;
    pos = eol + 1;
  }
  return out;
}

namespace {

bool needs_encoding(std::string_view body) {
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const auto c = static_cast<unsigned char>(body[i]);
    if (c >= 0x80 || c == 0) return true;
    if (c == '\r' && (i + 1 >= body.size() || body[i + 1] != '\n')) return true;  // bare CR
    if (c == '\n') {
      std::size_t end = i;
      if (end > line_start && body[end - 1] == '\r') --end;
      // Relays may strip trailing white space or rewrap long lines (RFC 8551 §3.1.1 and
      // RFC 5322 §2.1.1), and mbox writers turn "From " into ">From ".
      if (end > line_start && (body[end - 1] == ' ' || body[end - 1] == '\t')) return true;
      if (end - line_start > 998) return true;
      if (body.substr(line_start, 5) == "From ") return true;
      line_start = i + 1;
    }
  }
  if (body.size() - line_start > 998) return true;
  return body.substr(line_start, 5) == "From ";
}

// Quoted-printable (RFC 2045 §6.7) that also survives mbox writers: a line starting with
// "From " gets its F encoded ("=46rom "), which GMime's encoder leaves as it is.
std::string quoted_printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t column = 0;
  auto put = [&](std::string_view piece) {
    if (column + piece.size() > 75) {  // 76 with the soft break's "="
      out += "=\n";
      column = 0;
    }
    out += piece;
    column += piece.size();
  };
  auto escaped = [](unsigned char c) {
    return std::string{'=', kHex[c >> 4], kHex[c & 0xf]};
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool line_start = i == 0 || text[i - 1] == '\n';
    if (c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      if (c == '\r') ++i;
      out += '\n';
      column = 0;
      continue;
    }
    const bool at_line_end = i + 1 >= text.size() || text[i + 1] == '\n' ||
                             (text[i + 1] == '\r' && i + 2 < text.size() && text[i + 2] == '\n');
    if (line_start && c == 'F' && text.substr(i, 5) == "From ") {
      put(escaped(c));
    } else if (c == '=' || c > 126 || (c < 32 && c != '\t') ||
               ((c == ' ' || c == '\t') && at_line_end)) {
      put(escaped(c));
    } else {
      put(std::string(1, static_cast<char>(c)));
    }
  }
  return out;
}

bool has_from_line(std::string_view body) {
  return body.rfind("From ", 0) == 0 || body.find("\nFrom ") != std::string_view::npos;
}

// The body of PART as it is encoded now (without undoing the transfer encoding).
std::string encoded_content(GMimePart* part) {
  GMimeDataWrapper* wrapper = g_mime_part_get_content(part);
  if (wrapper == nullptr) return {};
  GMimeStream* stream = g_mime_data_wrapper_get_stream(wrapper);
  GPtr<GMimeStream> mem(g_mime_stream_mem_new());
  g_mime_stream_reset(stream);
  g_mime_stream_write_to_stream(stream, mem.get());
  g_mime_stream_reset(stream);
  GByteArray* array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
  return std::string(reinterpret_cast<const char*>(array->data), array->len);
}

void set_quoted_printable(GMimePart* part, std::string_view decoded) {
  const std::string encoded = quoted_printable(decoded);
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(encoded.data(), encoded.size()));
  GPtr<GMimeDataWrapper> wrapper(
      g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE));
  g_mime_part_set_content(part, wrapper.get());
  g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
}

// Gives every leaf whose body would not survive 7-bit transport unchanged a safe encoding:
// quoted-printable for text, base64 for anything else.
void encode_for_transport(GMimeObject* object, int depth) {
  if (depth > 64) throw Error(ErrorCode::Limit, "the message nests MIME parts too deeply to sign");
  if (GMIME_IS_MULTIPART(object)) {
    GMimeMultipart* multipart = GMIME_MULTIPART(object);
    const int n = g_mime_multipart_get_count(multipart);
    for (int i = 0; i < n; ++i) encode_for_transport(g_mime_multipart_get_part(multipart, i), depth + 1);
    return;
  }
  if (GMIME_IS_MESSAGE_PART(object)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    if (inner != nullptr && g_mime_message_get_mime_part(inner) != nullptr) {
      encode_for_transport(g_mime_message_get_mime_part(inner), depth + 1);
    }
    return;
  }
  if (!GMIME_IS_PART(object)) return;
  GMimePart* part = GMIME_PART(object);
  const bool text = mime_type(object).rfind("text/", 0) == 0;
  switch (g_mime_part_get_content_encoding(part)) {
    case GMIME_CONTENT_ENCODING_BASE64:
    case GMIME_CONTENT_ENCODING_UUENCODE: return;
    case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE:
      // Already safe, unless a line of the encoded text itself starts with "From ".
      if (has_from_line(encoded_content(part))) set_quoted_printable(part, decoded_content(part));
      return;
    default: break;
  }
  const std::string body = decoded_content(part);
  if (!needs_encoding(body)) return;
  if (text) {
    set_quoted_printable(part, body);
  } else {
    g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
  }
}

}  // namespace

SignableMessage prepare_for_signing(std::string_view message) {
  SignableMessage out;
  auto parsed = parse_message(message);
  out.outer_headers = outer_headers(message);
  GMimeObject* body = g_mime_message_get_mime_part(parsed.get());
  if (body == nullptr) throw Error(ErrorCode::Input, "the message has no body to sign");

  // Without a Content-Type field the entity would lose its meaning once wrapped; say it.
  if (g_mime_header_list_get_header(g_mime_object_get_header_list(body), "Content-Type") ==
      nullptr) {
    const bool eight_bit = GMIME_IS_PART(body) &&
                           std::any_of(message.begin(), message.end(),
                                       [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    GPtr<GMimeContentType> ct(g_mime_content_type_parse(
        nullptr, eight_bit ? "text/plain; charset=utf-8" : "text/plain; charset=us-ascii"));
    g_mime_object_set_content_type(body, ct.get());
  }
  encode_for_transport(body, 0);
  out.canonical_entity = canonical_bytes(body);
  return out;
}

}  // namespace smimekit::mime
