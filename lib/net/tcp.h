// TCP connections with timeouts, shared by POP3 and the HTTP client for revocation data.
// Internal to the library.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace smimekit::net {

/// Connects to HOST:PORT, trying every address it resolves to in turn, each within TIMEOUT.
/// Returns a non-blocking, close-on-exec socket the caller owns. Throws Error(Network).
[[nodiscard]] int connect_tcp(const std::string& host, std::uint16_t port,
                              std::chrono::milliseconds timeout);

/// Waits until FD is ready for EVENTS (poll flags) or TIMEOUT passes. Throws Error(Network)
/// naming what was being done ("reading") when the time is up.
void wait_for(int fd, short events, std::chrono::milliseconds timeout, std::string_view doing);

}  // namespace smimekit::net
