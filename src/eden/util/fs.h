// File helpers that never leave a half-written file behind (write to a temp, fsync, rename).
#pragma once

#include <filesystem>
#include <functional>
#include <string>

namespace eden {

namespace fs = std::filesystem;

/// Writes `content` to `path` atomically: a reader sees the old file or the new one, never a mix.
void write_file_atomic(const fs::path& path, const std::string& content);

/// Runs `writer(tmp_path)` then renames tmp_path onto `path` (for writers that take a path,
/// such as torch::serialize::OutputArchive::save_to).
void replace_file_atomic(const fs::path& path, const std::function<void(const fs::path&)>& writer);

/// Reads a whole file; throws eden::Error naming the path when it cannot.
std::string read_file(const fs::path& path);

/// Creates `dir` (and parents); throws eden::Error with the reason when it cannot.
void ensure_directory(const fs::path& dir);

}  // namespace eden
