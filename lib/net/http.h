// A small HTTP/1.1 client for revocation data: GET for CRLs (RFC 5280 §4.2.1.13) and POST of
// application/ocsp-request (RFC 6960 Appendix A.1), over plain http:// as CRL distribution
// points and OCSP responders publish them. Internal to the library.
//
// Everything it receives is untrusted data: the CRL or OCSP response it returns must still be
// checked by its signature. The client bounds the time (connect through the last byte) and
// the size of what it reads, follows no redirect, and speaks only to the host of the URL.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smimekit::net {

struct HttpUrl {
  std::string host;  ///< a name or an IP literal (without the brackets of an IPv6 one)
  std::uint16_t port = 80;
  std::string target = "/";  ///< path and query, as sent in the request line
};

/// Parses an http:// URL. Nullopt for any other scheme (https, ldap, ...) or a malformed one,
/// including one that carries user information or control characters.
[[nodiscard]] std::optional<HttpUrl> parse_http_url(std::string_view url);

struct HttpLimits {
  /// From the start of the connection to the last byte of the response.
  std::chrono::milliseconds timeout{10'000};
  /// The largest response body accepted.
  std::size_t max_body = 16 * 1024 * 1024;
};

/// The body of a 200 response to GET URL. Throws Error(Usage) for a URL that is not http://,
/// Error(Network) when the server cannot be reached or does not answer in time,
/// Error(Protocol) for a status other than 200 (redirects included) or a malformed response,
/// Error(Limit) when the body is larger than LIMITS.max_body.
[[nodiscard]] std::string http_get(std::string_view url, const HttpLimits& limits);

/// The body of a 200 response to a POST of BODY as CONTENT_TYPE to URL; errors as http_get.
[[nodiscard]] std::string http_post(std::string_view url, std::string_view content_type,
                                    std::string_view body, const HttpLimits& limits);

}  // namespace smimekit::net
