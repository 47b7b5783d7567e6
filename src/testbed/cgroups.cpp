/// cgroup v1/v2 detection, limits, OOM counters and removal.
#include "testbed/cgroups.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

#include "core/clock.h"
#include "core/procfs.h"
#include "core/strings.h"
#include "testbed/files.h"

namespace edgetier::testbed {
namespace {

using MountEntry = MountInfoEntry;

bool has_token(const std::vector<std::string>& tokens, std::string_view token) {
  return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
}

// The path of this process's cgroup for `controller` ("" for the v2 line "0::/path").
std::string own_cgroup_path(std::string_view self_cgroup, std::string_view controller) {
  std::string path = proc_cgroup_path(parse_proc_cgroup(self_cgroup), controller);
  return path.empty() ? "/" : path;
}

// The directory of `cgroup_path` under `mount`; a path outside the mount's root is taken as
// relative to the mount point (where v1 cgroups for the testbed are made in any case).
std::string dir_under_mount(const MountEntry& mount, const std::string& cgroup_path) {
  std::string dir = cgroup_dir_under_mount(mount, cgroup_path);
  if (!dir.empty()) return dir;
  if (cgroup_path.empty() || cgroup_path == "/") return mount.mount_point;
  return mount.mount_point + (cgroup_path.front() == '/' ? "" : "/") + cgroup_path;
}

// Kernel files hold plain integers; anything else reads as "unknown" rather than throwing.
bool parse_int64(const std::string& text, int64_t* value) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long long parsed = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0') return false;
  *value = parsed;
  return true;
}

std::string format_double(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

Result<int64_t> read_keyed_value(const std::string& path, std::string_view key) {
  ASSIGN_OR_RETURN(std::string text, read_text_file(path));
  for (const auto& line : split(text, '\n')) {
    auto words = split_words(line);
    int64_t value = 0;
    if (words.size() == 2 && words[0] == key && parse_int64(words[1], &value)) return value;
  }
  return not_found("no '" + std::string(key) + "' in " + path);
}

Status write_limit(const std::string& dir, const std::string& file, const std::string& value) {
  Status st = write_text_file(dir + "/" + file, value);
  if (!st.ok()) return st.with_context("setting cgroup limit " + file + "=" + value);
  return ok_status();
}

}  // namespace

std::string_view cgroup_version_name(CgroupVersion version) {
  switch (version) {
    case CgroupVersion::kV1: return "v1";
    case CgroupVersion::kV2: return "v2";
    case CgroupVersion::kNone: break;
  }
  return "none";
}

CgroupLayout detect_cgroup_layout_from(std::string_view mountinfo, std::string_view self_cgroup) {
  CgroupLayout layout;
  auto mounts = parse_cgroup_mounts(mountinfo);
  std::vector<std::string> v2_controllers;
  const MountEntry* v2 = nullptr;
  for (const auto& mount : mounts) {
    if (mount.fs_type != "cgroup2") continue;
    auto text = read_text_file(mount.mount_point + "/cgroup.controllers");
    if (!text.ok()) continue;
    auto controllers = split_words(*text);
    // Prefer the unified hierarchy that actually carries controllers.
    if (v2 == nullptr || controllers.size() > v2_controllers.size()) {
      v2 = &mount;
      v2_controllers = controllers;
    }
  }
  std::vector<std::string> problems;
  for (const char* controller : {"cpu", "memory"}) {
    ControllerPlace& place = std::string_view(controller) == "cpu" ? layout.cpu : layout.memory;
    if (v2 != nullptr && has_token(v2_controllers, controller)) {
      place.version = CgroupVersion::kV2;
      place.mount = v2->mount_point;
      place.parent = v2->mount_point;
      continue;
    }
    for (const auto& mount : mounts) {
      if (mount.fs_type != "cgroup" || !mount.has_super_option(controller)) continue;
      place.version = CgroupVersion::kV1;
      place.mount = mount.mount_point;
      place.parent = dir_under_mount(mount, own_cgroup_path(self_cgroup, controller));
      break;
    }
    if (place.version == CgroupVersion::kNone) {
      problems.push_back(std::string("no '") + controller +
                         "' controller (not in cgroup v2's cgroup.controllers" +
                         (v2 ? " at " + v2->mount_point : std::string()) +
                         " and no cgroup v1 hierarchy mounted with it)");
    }
  }
  for (size_t i = 0; i < problems.size(); ++i) layout.problem += (i ? "; " : "") + problems[i];
  return layout;
}

CgroupLayout detect_cgroup_layout() {
  auto mountinfo = read_text_file("/proc/self/mountinfo");
  auto self_cgroup = read_text_file("/proc/self/cgroup");
  if (!mountinfo.ok() || !self_cgroup.ok()) {
    CgroupLayout layout;
    layout.problem = "cannot read /proc/self/mountinfo or /proc/self/cgroup";
    return layout;
  }
  return detect_cgroup_layout_from(*mountinfo, *self_cgroup);
}

std::vector<std::string> cgroup_search_roots(std::string_view mountinfo) {
  std::vector<std::string> roots;
  for (const auto& mount : parse_cgroup_mounts(mountinfo)) {
    bool relevant = mount.fs_type == "cgroup2" || mount.has_super_option("cpu") ||
                    mount.has_super_option("memory");
    if (relevant && !has_token(roots, mount.mount_point)) roots.push_back(mount.mount_point);
  }
  return roots;
}

std::vector<std::string> TierCgroup::dirs() const {
  std::vector<std::string> out;
  for (const auto* dir : {&cpu_dir, &memory_dir}) {
    if (!dir->empty() && !has_token(out, *dir)) out.push_back(*dir);
  }
  return out;
}

nlohmann::json TierCgroup::to_json() const {
  return {{"name", name},
          {"cpu_version", std::string(cgroup_version_name(cpu_version))},
          {"memory_version", std::string(cgroup_version_name(memory_version))},
          {"cpu", cpu_dir},
          {"memory", memory_dir}};
}

TierCgroup TierCgroup::from_json(const nlohmann::json& j) {
  auto version = [](const std::string& text) {
    return text == "v2"   ? CgroupVersion::kV2
           : text == "v1" ? CgroupVersion::kV1
                          : CgroupVersion::kNone;
  };
  TierCgroup cg;
  cg.name = j.value("name", "");
  cg.cpu_version = version(j.value("cpu_version", "none"));
  cg.memory_version = version(j.value("memory_version", "none"));
  cg.cpu_dir = j.value("cpu", "");
  cg.memory_dir = j.value("memory", "");
  return cg;
}

std::string cgroup_name(std::string_view run_id, std::string_view tier) {
  return "edgetier-" + std::string(run_id) + "-" + std::string(tier);
}

Result<TierCgroup> create_cgroup(const CgroupLayout& layout, const std::string& name,
                                 const CgroupLimits& limits) {
  if (!layout.usable()) return failed_precondition("cgroups unavailable: " + layout.problem);
  TierCgroup cg;
  cg.name = name;
  cg.cpu_version = layout.cpu.version;
  cg.memory_version = layout.memory.version;
  cg.cpu_dir = layout.cpu.parent + "/" + name;
  cg.memory_dir = layout.memory.parent + "/" + name;

  int64_t quota_us = -1;
  if (limits.cpus > 0) {
    if (limits.cpu_period_us < 1000 || limits.cpu_period_us > 1000000) {
      return invalid_argument("cpu_period_us " + std::to_string(limits.cpu_period_us) +
                              " is outside 1000..1000000");
    }
    quota_us =
        static_cast<int64_t>(std::llround(limits.cpus * static_cast<double>(limits.cpu_period_us)));
    if (quota_us < 1000) {
      return invalid_argument("cpus " + format_double(limits.cpus) + " with cpu_period_us " +
                              std::to_string(limits.cpu_period_us) + " gives a quota of " +
                              std::to_string(quota_us) +
                              " us, below the kernel's 1000 us minimum; raise cpu_period_us");
    }
  }

  // v2: the parent must hand the controllers down before a child can use them.
  for (const ControllerPlace* place : {&layout.cpu, &layout.memory}) {
    if (place->version != CgroupVersion::kV2) continue;
    std::string controller = place == &layout.cpu ? "cpu" : "memory";
    std::string control = place->parent + "/cgroup.subtree_control";
    auto enabled = read_text_file(control);
    if (enabled.ok() && has_token(split_words(*enabled), controller)) continue;
    Status st = write_text_file(control, "+" + controller);
    if (!st.ok()) {
      return st.with_context("enabling the cgroup v2 " + controller + " controller for " +
                             place->parent + " (it must not hold processes itself)");
    }
  }
  for (const auto& dir : cg.dirs()) {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return internal_error("cannot create cgroup '" + dir + "': " + std::strerror(errno) +
                            " (are you root?)");
    }
  }

  if (limits.cpus > 0) {
    if (cg.cpu_version == CgroupVersion::kV2) {
      RETURN_IF_ERROR(
          write_limit(cg.cpu_dir, "cpu.max",
                      std::to_string(quota_us) + " " + std::to_string(limits.cpu_period_us)));
    } else {
      RETURN_IF_ERROR(
          write_limit(cg.cpu_dir, "cpu.cfs_period_us", std::to_string(limits.cpu_period_us)));
      RETURN_IF_ERROR(write_limit(cg.cpu_dir, "cpu.cfs_quota_us", std::to_string(quota_us)));
    }
  }
  if (limits.cpu_weight > 0) {
    if (cg.cpu_version == CgroupVersion::kV2) {
      RETURN_IF_ERROR(
          write_limit(cg.cpu_dir, "cpu.weight",
                      std::to_string(std::clamp<int64_t>(limits.cpu_weight, 1, 10000))));
    } else {
      RETURN_IF_ERROR(
          write_limit(cg.cpu_dir, "cpu.shares",
                      std::to_string(std::max<int64_t>(2, limits.cpu_weight * 1024 / 100))));
    }
  }
  if (limits.memory_bytes > 0) {
    std::string bytes = std::to_string(limits.memory_bytes);
    if (cg.memory_version == CgroupVersion::kV2) {
      RETURN_IF_ERROR(write_limit(cg.memory_dir, "memory.max", bytes));
      if (path_exists(cg.memory_dir + "/memory.swap.max")) {
        (void)write_text_file(cg.memory_dir + "/memory.swap.max", "0");
      }
    } else {
      RETURN_IF_ERROR(write_limit(cg.memory_dir, "memory.limit_in_bytes", bytes));
      // memory+swap equal to memory: no swapping around the limit (fails harmlessly without
      // swap accounting).
      if (path_exists(cg.memory_dir + "/memory.memsw.limit_in_bytes")) {
        (void)write_text_file(cg.memory_dir + "/memory.memsw.limit_in_bytes", bytes);
      }
    }
  }
  return cg;
}

std::vector<std::string> cgroup_procs_files(const TierCgroup& cgroup) {
  std::vector<std::string> files;
  for (const auto& dir : cgroup.dirs()) files.push_back(dir + "/cgroup.procs");
  return files;
}

Status add_pid_to_cgroup(const TierCgroup& cgroup, pid_t pid) {
  for (const auto& file : cgroup_procs_files(cgroup)) {
    RETURN_IF_ERROR(write_text_file(file, std::to_string(pid)));
  }
  return ok_status();
}

OomInfo read_oom_info(const TierCgroup& cgroup) {
  OomInfo info;
  if (cgroup.memory_dir.empty()) return info;
  if (cgroup.memory_version == CgroupVersion::kV2) {
    auto kills = read_keyed_value(cgroup.memory_dir + "/memory.events", "oom_kill");
    if (kills.ok()) info.oom_kills = *kills;
  } else if (cgroup.memory_version == CgroupVersion::kV1) {
    auto kills = read_keyed_value(cgroup.memory_dir + "/memory.oom_control", "oom_kill");
    if (kills.ok()) info.oom_kills = *kills;
    auto failcnt = read_text_file(cgroup.memory_dir + "/memory.failcnt");
    int64_t value = 0;
    if (failcnt.ok() && !split_words(*failcnt).empty() && parse_int64(split_words(*failcnt)[0], &value)) {
      info.failcnt = value;
    }
  }
  return info;
}

std::vector<pid_t> cgroup_dir_pids(const std::string& dir) {
  std::vector<pid_t> pids;
  auto text = read_text_file(dir + "/cgroup.procs");
  if (!text.ok()) return pids;
  for (const auto& word : split_words(*text)) {
    int64_t pid = 0;
    if (parse_int64(word, &pid) && pid > 0) pids.push_back(static_cast<pid_t>(pid));
  }
  return pids;
}

std::vector<pid_t> cgroup_pids(const TierCgroup& cgroup) {
  std::vector<pid_t> pids;
  for (const auto& dir : cgroup.dirs()) {
    for (pid_t pid : cgroup_dir_pids(dir)) {
      if (std::find(pids.begin(), pids.end(), pid) == pids.end()) pids.push_back(pid);
    }
  }
  return pids;
}

Status remove_cgroup_dir(const std::string& dir, int timeout_ms) {
  if (!is_directory(dir)) return ok_status();
  int64_t deadline = monotonic_ns() + static_cast<int64_t>(timeout_ms) * 1000000;
  while (true) {
    auto pids = cgroup_dir_pids(dir);
    for (pid_t pid : pids) ::kill(pid, SIGKILL);
    // Removal fails with EBUSY while processes (or, in v1, dying tasks) remain.
    if (pids.empty() && ::rmdir(dir.c_str()) == 0) return ok_status();
    if (!is_directory(dir)) return ok_status();
    if (monotonic_ns() > deadline) {
      return internal_error("cannot remove cgroup '" + dir + "': " + std::strerror(errno) + " (" +
                            std::to_string(pids.size()) + " processes still inside)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::vector<std::string> find_cgroup_dirs(const std::vector<std::string>& roots,
                                          const std::function<bool(const std::string&)>& match,
                                          int max_depth) {
  std::vector<std::string> found;
  std::function<void(const std::string&, int)> walk = [&](const std::string& dir, int depth) {
    for (const auto& name : list_subdirectories(dir)) {
      std::string path = dir + "/" + name;
      if (match(name)) {
        found.push_back(path);
      } else if (depth + 1 < max_depth) {
        walk(path, depth + 1);
      }
    }
  };
  for (const auto& root : roots) walk(root, 0);
  return found;
}

}  // namespace edgetier::testbed
