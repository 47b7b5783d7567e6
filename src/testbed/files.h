/// Small file helpers for /proc, cgroupfs and the state file, with errors that name the path.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace edgetier::testbed {

Result<std::string> read_text_file(const std::string& path);
/// Writes `text` with a single write(2) (cgroupfs parses each write as one command); creates
/// the file when missing.
Status write_text_file(const std::string& path, const std::string& text);
bool path_exists(const std::string& path);
bool is_directory(const std::string& path);
/// Names (not paths) of the entries of `dir` that are directories; empty on error.
std::vector<std::string> list_subdirectories(const std::string& dir);
/// mkdir -p.
Status make_directories(const std::string& path, int mode = 0755);

}  // namespace edgetier::testbed
