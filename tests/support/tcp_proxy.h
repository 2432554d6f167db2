// A TCP proxy on 127.0.0.1 that breaks connections on purpose, for tests of what a client
// does when the network fails under it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace smimekit::test {

/// Listens on a free port of 127.0.0.1 and forwards every connection to 127.0.0.1:TARGET, in a
/// thread of its own. Counts the bytes each way; can cut connections after a number of bytes
/// from the server. Stops and closes every connection in the destructor.
class TcpProxy {
 public:
  explicit TcpProxy(std::uint16_t target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  /// The port clients connect to.
  [[nodiscard]] std::uint16_t port() const noexcept;

  /// From now on, each connection ends once the server has sent N bytes on it: the client gets
  /// exactly those N bytes, then end of file, and the server sees the connection close. A
  /// connection already past N bytes is cut at once. Stays in force until clear_cut().
  void cut_after_server_bytes(std::size_t n) noexcept;
  /// Lets connections run to their natural end again.
  void clear_cut() noexcept;

  /// Bytes passed on so far, summed over all connections.
  [[nodiscard]] std::size_t client_to_server_bytes() const noexcept;
  [[nodiscard]] std::size_t server_to_client_bytes() const noexcept;
  /// Connections accepted so far, and how many of them were cut.
  [[nodiscard]] std::size_t connections() const noexcept;
  [[nodiscard]] std::size_t cuts() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace smimekit::test
