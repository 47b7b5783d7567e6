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

/// Models exported by scripts/export_torchvision.py `flag` into <build>/<folder> ("" when the
/// export failed, its log in <build>/<folder>.log). The script skips files already made and
/// exports one process at a time, so a folder is made once per build folder. Python's torch
/// comes from Debian's python3-torch (make test-deps installs it); without it this fails rather
/// than skips.
std::string export_zoo(const std::string& flag, const std::string& folder);

}  // namespace edgetier
