/// The fuzz targets' temporary folder (one per process, so parallel fuzzers never share files).
#include "fuzz_common.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "core/log.h"

namespace edgetier::fuzz {
namespace fs = std::filesystem;
namespace {

std::string make_temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "edgetier-fuzz-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed: " + pattern);
  return pattern;
}

}  // namespace

const std::string& temp_dir() {
  static const std::string dir = [] {
    std::string made = make_temp_dir();
    static std::string to_remove;
    to_remove = made;
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(to_remove, ec);
    });
    return made;
  }();
  return dir;
}

std::string write_temp_file(const std::string& name, std::string_view bytes) {
  const std::string path = temp_dir() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
  return path;
}

void quiet_logs() { set_log_level(LogLevel::kOff); }

}  // namespace edgetier::fuzz
