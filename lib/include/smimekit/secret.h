// smimekit — secrets (passwords) that are wiped from memory when dropped.
#pragma once

#include <string>
#include <string_view>

namespace smimekit {

/// A password or passphrase. Its memory is overwritten with zeros on destruction.
/// It cannot be copied by accident: move it, or call reveal() where the bytes are needed.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : m_value(std::move(value)) {}
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  ~Secret();

  [[nodiscard]] std::string_view reveal() const noexcept { return m_value; }
  [[nodiscard]] bool empty() const noexcept { return m_value.empty(); }

 private:
  void wipe() noexcept;
  std::string m_value;
};

/// Reads a secret given as a SPEC, so that it never has to appear on a command line:
///   `env:VAR`   the value of environment variable VAR
///   `file:PATH` the first line of PATH (the file should be readable by its owner only)
///   `fd:N`      the first line read from file descriptor N
///   `pass:TEXT` TEXT itself (visible to other users in the process list: for tests only)
/// Throws Error(Usage) for an unknown form and Error(NoInput) when the source is missing.
[[nodiscard]] Secret read_secret(std::string_view spec);

}  // namespace smimekit
