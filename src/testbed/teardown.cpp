/// Teardown by run id: processes, namespaces, interfaces, cgroups, then our files.
#include "testbed/teardown.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <thread>

#include "core/clock.h"
#include "testbed/cgroups.h"
#include "testbed/files.h"
#include "testbed/launcher.h"
#include "testbed/links.h"
#include "testbed/netns.h"
#include "testbed/state.h"

namespace edgetier::testbed {
namespace {

bool is_lower_alnum(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c));
  });
}

// "<prefix><run id><rest>" with the run id equal to `run_id` (any run id when empty).
bool split_run(std::string_view name, std::string_view prefix, std::string_view run_id,
               std::string_view* rest) {
  if (name.substr(0, prefix.size()) != prefix || name.size() < prefix.size() + 6) return false;
  std::string_view id = name.substr(prefix.size(), 6);
  if (!is_run_id(id) || (!run_id.empty() && id != run_id)) return false;
  *rest = name.substr(prefix.size() + 6);
  return true;
}

bool environ_has_run(int pid, const std::string& run_id) {
  auto env = read_text_file("/proc/" + std::to_string(pid) + "/environ");
  if (!env.ok()) return false;
  const std::string key = std::string(kRunIdEnv) + "=";
  size_t start = 0;
  while (start < env->size()) {
    size_t end = env->find('\0', start);
    if (end == std::string::npos) end = env->size();
    std::string_view entry(env->data() + start, end - start);
    if (entry.substr(0, key.size()) == key) {
      std::string_view id = entry.substr(key.size());
      return is_run_id(id) && (run_id.empty() || id == run_id);
    }
    start = end + 1;
  }
  return false;
}

std::vector<int> processes_of_run(const std::string& run_id) {
  std::vector<int> pids;
  const int self = ::getpid();
  for (const auto& name : list_subdirectories("/proc")) {
    if (!std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      continue;
    }
    int pid = std::stoi(name);
    if (pid != self && environ_has_run(pid, run_id)) pids.push_back(pid);
  }
  return pids;
}

std::vector<std::string> cgroups_of_run(const std::string& run_id) {
  auto mountinfo = read_text_file("/proc/self/mountinfo");
  if (!mountinfo.ok()) return {};
  return find_cgroup_dirs(cgroup_search_roots(*mountinfo),
                          [&](const std::string& name) { return is_testbed_cgroup(name, run_id); });
}

void append_unique(std::vector<std::string>* list, const std::string& value) {
  if (std::find(list->begin(), list->end(), value) == list->end()) list->push_back(value);
}

}  // namespace

std::string new_run_id() {
  std::random_device device;
  std::mt19937_64 rng(device() ^ (static_cast<uint64_t>(monotonic_ns()) << 1) ^
                      static_cast<uint64_t>(::getpid()));
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 6; ++i) id += kHex[rng() % 16];
  return id;
}

bool is_run_id(std::string_view text) {
  return text.size() == 6 && std::all_of(text.begin(), text.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
         });
}

bool is_testbed_netns(std::string_view name, std::string_view run_id) {
  std::string_view rest;
  return split_run(name, "et-", run_id, &rest) && rest.size() > 1 && rest[0] == '-' &&
         is_lower_alnum(rest.substr(1));
}

bool is_testbed_interface(std::string_view name, std::string_view run_id) {
  std::string_view rest;  // "l<digits>a", "l<digits>bi", ...
  if (!split_run(name, "et", run_id, &rest) || rest.size() < 3 || rest[0] != 'l') return false;
  size_t pos = 1;
  while (pos < rest.size() && std::isdigit(static_cast<unsigned char>(rest[pos]))) ++pos;
  if (pos == 1 || pos >= rest.size()) return false;
  std::string_view end = rest.substr(pos);
  return end == "a" || end == "b" || end == "ai" || end == "bi";
}

bool is_testbed_cgroup(std::string_view name, std::string_view run_id) {
  std::string_view rest;
  return split_run(name, "edgetier-", run_id, &rest) && rest.size() > 1 && rest[0] == '-' &&
         is_lower_alnum(rest.substr(1));
}

bool TeardownReport::removed_anything() const {
  return !processes.empty() || !namespaces.empty() || !interfaces.empty() || !cgroups.empty() ||
         !files.empty();
}

nlohmann::json TeardownReport::to_json() const {
  return {{"run_ids", run_ids},       {"processes", processes}, {"namespaces", namespaces},
          {"interfaces", interfaces}, {"cgroups", cgroups},     {"files", files},
          {"errors", errors}};
}

std::string TeardownReport::to_text() const {
  std::string text;
  auto section = [&](const char* title, const std::vector<std::string>& items) {
    if (items.empty()) return;
    text += std::string(title) + ":";
    for (const auto& item : items) text += " " + item;
    text += "\n";
  };
  section("stopped processes", processes);
  section("removed namespaces", namespaces);
  section("removed interfaces", interfaces);
  section("removed cgroups", cgroups);
  section("removed files", files);
  section("errors", errors);
  if (text.empty()) text = "nothing of ours to remove\n";
  return text;
}

std::string Leftovers::to_text() const {
  std::string text;
  for (const auto& n : namespaces) text += " netns " + n;
  for (const auto& i : interfaces) text += " interface " + i;
  for (const auto& c : cgroups) text += " cgroup " + c;
  for (int pid : pids) text += " pid " + std::to_string(pid);
  return text.empty() ? "none" : text.substr(1);
}

Leftovers find_leftovers(const std::string& run_id) {
  Leftovers left;
  if (auto names = list_netns(); names.ok()) {
    for (const auto& n : *names) {
      if (is_testbed_netns(n, run_id)) left.namespaces.push_back(n);
    }
  }
  if (auto names = list_interfaces(""); names.ok()) {
    for (const auto& n : *names) {
      if (is_testbed_interface(n, run_id)) left.interfaces.push_back(n);
    }
  }
  left.cgroups = cgroups_of_run(run_id);
  left.pids = processes_of_run(run_id);
  return left;
}

Result<TeardownReport> teardown_run(const std::string& run_id, const std::string& state_dir) {
  if (!run_id.empty() && !is_run_id(run_id)) {
    return invalid_argument("'" + run_id + "' is not a testbed run id (6 hex digits, e.g. 3fa91c)");
  }
  TeardownReport report;
  std::optional<TestbedState> state;
  if (!state_dir.empty()) {
    auto read = read_state(state_dir);
    if (read.ok() && (run_id.empty() || read->run_id == run_id)) state = std::move(*read);
  }
  if (!run_id.empty()) report.run_ids.push_back(run_id);
  if (state) append_unique(&report.run_ids, state->run_id);

  // 0. The supervising controller, unless that is us: it stops and reaps its tiers on SIGTERM.
  if (state && state->controller_pid > 0 && state->controller_pid != ::getpid()) {
    ProcessHandle controller{state->controller_pid, state->controller_start_ticks};
    if (state->controller_start_ticks > 0 &&
        poll_process(controller).state == ProcessState::kRunning) {
      Status st = stop_process(controller, 8000);
      if (st.ok()) {
        report.processes.push_back(std::to_string(controller.pid) + " (controller)");
      } else {
        report.errors.push_back(st.message());
      }
    }
  }
  // 1. Tier processes: politely first (the state file knows them), then anything carrying the id.
  if (state) {
    for (const auto& tier : state->tiers) {
      ProcessHandle handle{tier.pid, tier.start_ticks};
      if (tier.pid <= 0 || poll_process(handle).state != ProcessState::kRunning) continue;
      Status st = stop_process(handle, 1500);
      if (st.ok()) {
        report.processes.push_back(std::to_string(tier.pid) + " (" + tier.name + ")");
      } else {
        report.errors.push_back(st.message());
      }
    }
  }
  for (int pid : processes_of_run(run_id)) {
    if (::kill(pid, SIGKILL) == 0) report.processes.push_back(std::to_string(pid));
  }
  // 2. Namespaces (their veths and ifbs go with them; processes inside are killed first).
  auto namespaces = list_netns();
  if (!namespaces.ok()) {
    report.errors.push_back(namespaces.status().message());
  } else {
    for (const auto& name : *namespaces) {
      if (!is_testbed_netns(name, run_id)) continue;
      Status st = delete_netns(name);
      if (st.ok()) {
        report.namespaces.push_back(name);
      } else {
        report.errors.push_back(st.message());
      }
    }
  }
  // 3. Interfaces that reached the root namespace (a creation cut short).
  if (auto names = list_interfaces(""); names.ok()) {
    for (const auto& name : *names) {
      if (!is_testbed_interface(name, run_id)) continue;
      Status st = delete_interface("", name);
      if (st.ok()) {
        report.interfaces.push_back(name);
      } else {
        report.errors.push_back(st.message());
      }
    }
  }
  // 4. cgroups (remove_cgroup_dir kills anything still inside and waits for it).
  for (const auto& dir : cgroups_of_run(run_id)) {
    Status st = remove_cgroup_dir(dir);
    if (st.ok()) {
      report.cgroups.push_back(dir);
    } else {
      report.errors.push_back(st.message());
    }
  }
  // 5. Our files: sockets, the token and the state file of this run (logs stay for
  // post-mortems).
  if (state) {
    for (const auto& tier : state->tiers) {
      std::string sock = tier.control.rfind("unix:", 0) == 0 ? tier.control.substr(5) : "";
      if (!sock.empty() && path_exists(sock) && ::unlink(sock.c_str()) == 0)
        report.files.push_back(sock);
    }
    // The run's token dies with it (a new run draws a new one).
    if (!state->token_file.empty() && ::unlink(state->token_file.c_str()) == 0)
      report.files.push_back(state->token_file);
    std::string file = state_file_path(state_dir);
    if (::unlink(file.c_str()) == 0) report.files.push_back(file);
  }
  Leftovers left = find_leftovers(run_id);
  if (!left.empty()) {
    // Processes may take a moment to disappear from /proc after SIGKILL.
    for (int i = 0; i < 50 && !left.pids.empty() && left.namespaces.empty() &&
                    left.cgroups.empty() && left.interfaces.empty();
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      left = find_leftovers(run_id);
    }
  }
  if (!left.empty()) {
    std::string errors;
    for (const auto& e : report.errors) errors += "; " + e;
    return internal_error("testbed teardown left " + left.to_text() + errors);
  }
  return report;
}

}  // namespace edgetier::testbed
