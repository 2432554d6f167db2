// smimekit — reading and writing whole files, with errors that name the file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace smimekit {

/// Reads all of PATH. Throws Error(NoInput) when it cannot be opened, Error(Io) on a read error.
[[nodiscard]] std::string read_file(const std::filesystem::path& path);

/// Writes DATA to PATH atomically: a temporary file beside it, flushed and synced, then
/// renamed into place. MODE is applied to the new file before any byte is written.
void write_file_atomic(const std::filesystem::path& path, std::string_view data,
                       unsigned mode = 0644);

}  // namespace smimekit
