/// Small helpers shared by tests: temporary folders, file writing, running the CLI binary.
#pragma once

#include <string>

namespace edgetier {

/// A fresh temporary folder removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& bytes);
std::string read_file(const std::string& path);

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

/// Runs the built `edgetier` binary with `args` (a shell-quoted argument string).
CommandResult run_edgetier(const std::string& args);

}  // namespace edgetier
