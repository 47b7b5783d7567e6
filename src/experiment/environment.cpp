/// Environment facts recorded with each run.
#include "experiment/environment.h"

#include <sqlite3.h>
#include <sys/utsname.h>

#include <cstdio>
#include <string>
#include <thread>

#include "core/procfs.h"
#include "runtime/ort_session.h"

namespace edgetier {
namespace {

/// The commit of the source tree the binary was built from, when it is still a git checkout.
std::string git_commit() {
  const std::string cmd =
      std::string("git -C '") + EDGETIER_SOURCE_DIR + "' rev-parse HEAD 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return "unknown";
  char buf[128] = {};
  std::string out;
  if (std::fgets(buf, sizeof(buf), pipe)) out = buf;
  pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out.size() == 40 ? out : "unknown";
}

}  // namespace

nlohmann::json collect_environment() {
  struct utsname u {};
  std::string kernel = "unknown";
  if (uname(&u) == 0) kernel = std::string(u.sysname) + " " + u.release + " " + u.machine;
  return {{"cpu_model", read_cpu_model()},
          {"cores", std::thread::hardware_concurrency()},
          {"kernel", kernel},
          {"ort_version", ort_version()},
          {"sqlite_version", sqlite3_libversion()},
          {"edgetier_version", EDGETIER_VERSION},
          {"git_commit", git_commit()}};
}

}  // namespace edgetier
