#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>

#include "mime/mime.h"
#include "smimekit/error.h"

namespace smimekit::mime {

namespace {

void ensure_init() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

std::string bytes_of(GMimeStream* mem) {
  GByteArray* array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
  return std::string(reinterpret_cast<const char*>(array->data), array->len);
}

// ---------------------------------------------------------------------------------------
// Bounds on what GMime is asked to build.
//
// GMime builds the whole tree at once, and some input costs far more memory than its size:
// measured with GMime 3.2, a part costs about 1.4 KiB even when it is five bytes long
// ("--b\n\n"), a header field about 500 bytes, and an address in From, To or Cc about
// 700 bytes. So 5 MB of empty parts took 1.4 GiB and a 100 MB header of short fields or of
// addresses took 2.4 to 3 GiB. What no real message needs is refused before (or while) GMime
// reads it, with Error(Limit): docs/security.md, "Resource bounds".

// Every MIME part but the first begins after a line that starts with "--" (RFC 2046 §5.1.1),
// so counting those lines bounds the parts (and the nesting) without parsing anything.
constexpr std::size_t kMaxDelimiterLines = 100'000;
// The largest header field: a line that holds a ':' and does not start with white space,
// with the lines after it that do (RFC 5322 §2.2.3 folding). Body lines are counted too,
// which only matters for a body that holds 4 MiB of indented lines after a line with a
// colon, or a single 4 MiB line.
constexpr std::size_t kMaxFieldBytes = std::size_t{4} << 20;
// All header fields of all parts and attached messages together, as GMime reads them.
constexpr std::size_t kMaxHeaderFields = 100'000;
constexpr std::size_t kMaxHeaderBytes = std::size_t{4} << 20;

void check_shape(std::string_view bytes) {
  std::size_t delimiters = 0;
  std::size_t field = 0;  // bytes of the field-like run so far; 0 outside one
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t end = bytes.find('\n', pos);
    end = end == std::string_view::npos ? bytes.size() : end + 1;
    const std::string_view line = bytes.substr(pos, end - pos);
    if (line.size() >= 2 && line[0] == '-' && line[1] == '-' && ++delimiters > kMaxDelimiterLines) {
      throw Error(ErrorCode::Limit,
                  fmt::format("the message has more than {} lines that start a MIME part "
                              "(\"--\"); it was not checked",
                              kMaxDelimiterLines));
    }
    if (line[0] == ' ' || line[0] == '\t') {
      if (field > 0) field += line.size();
    } else {
      field = line.find(':') != std::string_view::npos ? line.size() : 0;
    }
    if (field > kMaxFieldBytes) {
      throw Error(ErrorCode::Limit,
                  fmt::format("the message has a header field (or a line) of more than {} MiB; "
                              "it was not checked",
                              kMaxFieldBytes >> 20));
    }
    pos = end;
  }
}

// A parser over BYTES that counts the header fields GMime reads, in every part and attached
// message, and ends the input as soon as there are too many: GMime then completes what it
// has and returns, and check() refuses the result.
class BoundedParser {
 public:
  explicit BoundedParser(std::string_view bytes)
      // The stream copies BYTES; the parser reads from it.
      : m_stream(g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size())),
        m_parser(g_mime_parser_new_with_stream(m_stream.get())) {
    g_mime_parser_set_header_regex(m_parser.get(), "^", &BoundedParser::on_header, this);
  }
  BoundedParser(const BoundedParser&) = delete;
  BoundedParser& operator=(const BoundedParser&) = delete;

  [[nodiscard]] GMimeParser* get() const { return m_parser.get(); }

  void check() const {
    if (!m_exceeded) return;
    throw Error(ErrorCode::Limit,
                fmt::format("the message has more than {} header fields, or more than {} MiB of "
                            "them; it was not checked",
                            kMaxHeaderFields, kMaxHeaderBytes >> 20));
  }

 private:
  static void on_header(GMimeParser* /*parser*/, const char* name, const char* value,
                        gint64 /*offset*/, gpointer data) {
    auto* self = static_cast<BoundedParser*>(data);
    ++self->m_fields;
    self->m_bytes += std::strlen(name) + (value != nullptr ? std::strlen(value) : 0);
    if (!self->m_exceeded &&
        (self->m_fields > kMaxHeaderFields || self->m_bytes > kMaxHeaderBytes)) {
      self->m_exceeded = true;
      // Reads past this point now see the end of the input.
      g_mime_stream_set_bounds(self->m_stream.get(), 0, g_mime_stream_tell(self->m_stream.get()));
    }
  }

  GPtr<GMimeStream> m_stream;
  GPtr<GMimeParser> m_parser;
  std::size_t m_fields = 0;
  std::size_t m_bytes = 0;
  bool m_exceeded = false;
};

}  // namespace

GPtr<GMimeMessage> parse_message(std::string_view bytes) {
  ensure_init();
  if (bytes.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    throw Error(ErrorCode::Input, "the input is empty, not a mail message");
  }
  check_shape(bytes);
  const BoundedParser parser(bytes);
  GPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), nullptr));
  parser.check();
  if (!message ||
      g_mime_header_list_get_count(g_mime_object_get_header_list(GMIME_OBJECT(message.get()))) ==
          0) {
    throw Error(ErrorCode::Input, "the input is not a mail message: it has no header fields");
  }
  return message;
}

GPtr<GMimeObject> parse_entity(std::string_view bytes) {
  ensure_init();
  check_shape(bytes);
  {
    const BoundedParser parser(bytes);
    GPtr<GMimeObject> object(g_mime_parser_construct_part(parser.get(), nullptr));
    parser.check();
    if (object) return object;
  }
  // Content without a header block (RFC 4134's and RFC 9216's examples protect bare text) is
  // read as an entity with no fields, which RFC 2045 §5.2 makes text/plain.
  const std::string with_empty_header = "\r\n" + std::string(bytes);
  const BoundedParser retry(with_empty_header);
  GPtr<GMimeObject> object(g_mime_parser_construct_part(retry.get(), nullptr));
  retry.check();
  if (!object) throw Error(ErrorCode::Input, "the protected content is not a MIME entity");
  return object;
}

std::string mime_type(GMimeObject* object) {
  GMimeContentType* ct = g_mime_object_get_content_type(object);
  if (ct == nullptr) return "text/plain";
  char* type = g_mime_content_type_get_mime_type(ct);
  std::string out = type != nullptr ? type : "text/plain";
  g_free(type);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string content_type_parameter(GMimeObject* object, const char* name) {
  GMimeContentType* ct = g_mime_object_get_content_type(object);
  if (ct == nullptr) return {};
  const char* value = g_mime_content_type_get_parameter(ct, name);
  return value != nullptr ? value : "";
}

std::string canonical_bytes(GMimeObject* object) {
  GPtr<GMimeStream> mem(g_mime_stream_mem_new());
  {
    GPtr<GMimeStream> filtered(g_mime_stream_filter_new(mem.get()));
    GPtr<GMimeFilter> unix2dos(g_mime_filter_unix2dos_new(FALSE));
    g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered.get()), unix2dos.get());
    g_mime_object_write_to_stream(object, nullptr, filtered.get());
    g_mime_stream_flush(filtered.get());
  }
  return bytes_of(mem.get());
}

std::string decoded_content(GMimePart* part) {
  GMimeDataWrapper* wrapper = g_mime_part_get_content(part);
  if (wrapper == nullptr) return {};
  GPtr<GMimeStream> mem(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(wrapper, mem.get());
  return bytes_of(mem.get());
}

std::string to_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out.push_back('\r');
    out.push_back(text[i]);
  }
  return out;
}

std::string to_lf(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out.push_back(text[i]);
  }
  return out;
}

namespace {

void collect(InternetAddressList* list, std::vector<Mailbox>& out) {
  if (list == nullptr) return;
  const int n = internet_address_list_length(list);
  for (int i = 0; i < n; ++i) {
    InternetAddress* address = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(address)) {
      collect(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)), out);
      continue;
    }
    if (!INTERNET_ADDRESS_IS_MAILBOX(address)) continue;
    const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
    const char* name = internet_address_get_name(address);
    out.push_back({addr != nullptr ? addr : "", name != nullptr ? name : ""});
  }
}

}  // namespace

Originator originator(GMimeMessage* message) {
  Originator out;
  GMimeHeaderList* headers = g_mime_object_get_header_list(GMIME_OBJECT(message));
  const int n = g_mime_header_list_get_count(headers);
  for (int i = 0; i < n; ++i) {
    GMimeHeader* header = g_mime_header_list_get_header_at(headers, i);
    const char* name = g_mime_header_get_name(header);
    const bool is_from = g_ascii_strcasecmp(name, "From") == 0;
    const bool is_sender = g_ascii_strcasecmp(name, "Sender") == 0;
    if (!is_from && !is_sender) continue;
    // Each field is parsed on its own, so that a second From is seen, not merged away.
    const char* raw = g_mime_header_get_raw_value(header);
    GPtr<InternetAddressList> list(
        raw != nullptr ? internet_address_list_parse(nullptr, raw) : nullptr);
    if (is_from) {
      ++out.from_fields;
      collect(list.get(), out.from);
    } else {
      ++out.sender_fields;
      collect(list.get(), out.sender);
    }
  }
  return out;
}

std::string subject(GMimeMessage* message) {
  const char* s = g_mime_message_get_subject(message);
  return s != nullptr ? s : "";
}

}  // namespace smimekit::mime
