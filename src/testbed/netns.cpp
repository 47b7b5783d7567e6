/// Network namespaces through `ip netns` and setns(2).
#include "testbed/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <thread>

#include "testbed/command.h"
#include "testbed/files.h"

namespace edgetier::testbed {

std::string netns_name(std::string_view run_id, std::string_view tier) {
  return "et-" + std::string(run_id) + "-" + std::string(tier);
}

std::string netns_path(const std::string& name) {
  // iproute2 uses /run/netns (/var/run is a link to /run on Debian).
  return (is_directory("/run/netns") ? "/run/netns/" : "/var/run/netns/") + name;
}

Status create_netns(const std::string& name) {
  RETURN_IF_ERROR(run_checked({"ip", "netns", "add", name}));
  return run_checked({"ip", "-n", name, "link", "set", "lo", "up"});
}

Result<std::vector<std::string>> list_netns() {
  ASSIGN_OR_RETURN(std::string out, run_checked_output({"ip", "netns", "list"}));
  std::vector<std::string> names;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string name;  // "et-ab12cd-mobile (id: 3)"
    if (words >> name) names.push_back(name);
  }
  return names;
}

std::vector<pid_t> netns_pids(const std::string& name) {
  std::vector<pid_t> pids;
  auto out = run_command({"ip", "netns", "pids", name});
  if (!out.ok() || out->exit_code != 0) return pids;
  std::istringstream words(out->out);
  long pid = 0;
  while (words >> pid) {
    if (pid > 0) pids.push_back(static_cast<pid_t>(pid));
  }
  return pids;
}

Status delete_netns(const std::string& name) {
  ASSIGN_OR_RETURN(auto names, list_netns());
  bool present = false;
  for (const auto& n : names) present = present || n == name;
  if (!present) return ok_status();
  // A process left inside would keep the namespace (and its veths) alive unnamed.
  for (pid_t pid : netns_pids(name)) ::kill(pid, SIGKILL);
  return run_checked({"ip", "netns", "del", name});
}

Result<int> open_netns(const std::string& name) {
  std::string path = netns_path(name);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return not_found("network namespace '" + name + "' (" + path + "): " + std::strerror(errno));
  }
  return fd;
}

Status run_in_netns(const std::string& name, const std::function<void()>& fn) {
  if (name.empty()) {
    fn();
    return ok_status();
  }
  ASSIGN_OR_RETURN(int fd, open_netns(name));
  Status status;
  std::thread worker([&]() {
    if (::setns(fd, CLONE_NEWNET) != 0) {
      status = internal_error("setns into '" + name + "': " + std::strerror(errno));
      return;
    }
    fn();
  });
  worker.join();
  ::close(fd);
  return status;
}

}  // namespace edgetier::testbed
