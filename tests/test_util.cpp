/// Test helpers implementation.
#include "test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace edgetier {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "edgetier-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

CommandResult run_edgetier(const std::string& args) {
  TempDir dir;
  const std::string out = dir.file("stdout"), err = dir.file("stderr");
  const std::string cmd = std::string(EDGETIER_BINARY) + " " + args + " >" + out + " 2>" + err;
  const int status = std::system(cmd.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_file(out);
  result.err = read_file(err);
  return result;
}


std::string export_zoo(const std::string& flag, const std::string& folder) {
  const std::filesystem::path out = std::filesystem::path(EDGETIER_BINARY).parent_path() / folder;
  const std::string cmd = "/usr/bin/python3 " + std::string(EDGETIER_SOURCE_DIR) +
                          "/scripts/export_torchvision.py " + flag + " -o " + out.string() + " > " +
                          out.string() + ".log 2>&1";
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (std::system(cmd.c_str()) != 0) return std::string();
  return out.string();
}

}  // namespace edgetier
