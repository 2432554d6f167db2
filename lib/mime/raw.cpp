// The bytes of MIME entities exactly as they were received. A signature covers those bytes,
// not a parser's re-rendering of them (RFC 1847 §2.1): GMime, when it writes a parsed part
// out again, normalizes blank lines after close delimiters and padding after delimiters.
#include "mime/mime.h"

namespace smimekit::mime {

namespace {

// The end of the line starting at POS (index of its '\n', or size()).
std::size_t line_end(std::string_view text, std::size_t pos) {
  const auto n = text.find('\n', pos);
  return n == std::string_view::npos ? text.size() : n;
}

bool only_padding(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

enum class Delimiter { None, Part, Close };

// RFC 2046 §5.1.1: "--" boundary, then transport padding (delimiter) or "--" (close).
Delimiter classify(std::string_view line, std::string_view boundary) {
  if (line.size() < boundary.size() + 2 || line[0] != '-' || line[1] != '-' ||
      line.substr(2, boundary.size()) != boundary) {
    return Delimiter::None;
  }
  const std::string_view rest = line.substr(2 + boundary.size());
  if (rest.substr(0, 2) == "--") return Delimiter::Close;
  return only_padding(rest) ? Delimiter::Part : Delimiter::None;
}

}  // namespace

RawEntity split_entity(std::string_view entity) {
  std::size_t pos = 0;
  while (pos < entity.size()) {
    const std::size_t end = line_end(entity, pos);
    std::string_view line = entity.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      const std::size_t body = std::min(end + 1, entity.size());
      return {entity.substr(0, pos), entity.substr(body)};
    }
    pos = end + 1;
  }
  return {entity, {}};  // headers only
}

std::optional<std::vector<std::string_view>> split_multipart(std::string_view body,
                                                             std::string_view boundary) {
  if (boundary.empty()) return std::nullopt;
  std::vector<std::string_view> parts;
  std::optional<std::size_t> part_start;
  std::size_t pos = 0;
  while (pos < body.size()) {
    const std::size_t end = line_end(body, pos);
    const Delimiter d = classify(body.substr(pos, end - pos), boundary);
    if (d != Delimiter::None) {
      if (part_start) {
        // The line break before a delimiter belongs to the delimiter.
        std::size_t part_end = pos;
        if (part_end > *part_start && body[part_end - 1] == '\n') --part_end;
        if (part_end > *part_start && body[part_end - 1] == '\r') --part_end;
        parts.push_back(body.substr(*part_start, part_end - *part_start));
      }
      if (d == Delimiter::Close) return parts;
      part_start = std::min(end + 1, body.size());
    }
    pos = end + 1;
  }
  return std::nullopt;  // no close delimiter: let GMime's more forgiving reading decide
}

}  // namespace smimekit::mime
