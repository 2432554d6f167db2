#include <algorithm>
#include <cctype>
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

GPtr<GMimeParser> parser_over(std::string_view bytes) {
  // The parser copies what it needs, so the stream may borrow BYTES.
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size()));
  return GPtr<GMimeParser>(g_mime_parser_new_with_stream(stream.get()));
}

}  // namespace

GPtr<GMimeMessage> parse_message(std::string_view bytes) {
  ensure_init();
  if (bytes.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    throw Error(ErrorCode::Input, "the input is empty, not a mail message");
  }
  auto parser = parser_over(bytes);
  GPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!message ||
      g_mime_header_list_get_count(g_mime_object_get_header_list(GMIME_OBJECT(message.get()))) ==
          0) {
    throw Error(ErrorCode::Input, "the input is not a mail message: it has no header fields");
  }
  return message;
}

GPtr<GMimeObject> parse_entity(std::string_view bytes) {
  ensure_init();
  auto parser = parser_over(bytes);
  GPtr<GMimeObject> object(g_mime_parser_construct_part(parser.get(), nullptr));
  if (object) return object;
  // Content without a header block (RFC 4134's and RFC 9216's examples protect bare text) is
  // read as an entity with no fields, which RFC 2045 §5.2 makes text/plain.
  const std::string with_empty_header = "\r\n" + std::string(bytes);
  auto retry = parser_over(with_empty_header);
  object.reset(g_mime_parser_construct_part(retry.get(), nullptr));
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
