/// Shared by the fuzz targets: a per-process temporary folder for entry points that read files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace edgetier::fuzz {

/// A folder private to this process, created on first use and removed at exit.
const std::string& temp_dir();

/// Writes `bytes` to temp_dir()/name (replacing it) and returns the path.
std::string write_temp_file(const std::string& name, std::string_view bytes);

/// The input as a string (the product's readers take std::string or std::string_view).
inline std::string_view as_view(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Silences the product's log lines so they do not drown libFuzzer's output (errors still print).
void quiet_logs();

}  // namespace edgetier::fuzz
