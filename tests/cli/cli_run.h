/// Runs the edgetier binary in tests and captures its exit code, stdout and stderr.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace edgetier::testing {

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// A fresh directory under the system temp dir for one test's files.
inline std::filesystem::path make_test_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("edgetier-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Runs `edgetier <args>` (args are passed through the shell as written).
inline CliRun run_edgetier(const std::string& args) {
  static int counter = 0;
  const auto dir = make_test_dir("cli-run-" + std::to_string(counter++));
  const auto out = dir / "stdout", err = dir / "stderr";
  const std::string cmd =
      std::string(EDGETIER_BINARY) + " " + args + " >" + out.string() + " 2>" + err.string();
  const int status = std::system(cmd.c_str());
  CliRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = slurp(out);
  run.err = slurp(err);
  std::filesystem::remove_all(dir);
  return run;
}

}  // namespace edgetier::testing
