/// Container-like CPU and memory limits for tier processes: cgroup v2 where its cpu/memory
/// controllers are available, else cgroup v1; OOM-kill detection; removal by name.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace edgetier::testbed {

enum class CgroupVersion { kNone, kV1, kV2 };
std::string_view cgroup_version_name(CgroupVersion version);  // "none", "v1", "v2"

/// Where one controller (cpu or memory) lives and where the testbed creates its cgroups.
struct ControllerPlace {
  CgroupVersion version = CgroupVersion::kNone;
  std::string mount;   // the hierarchy's mount point, e.g. /sys/fs/cgroup/memory
  std::string parent;  // the directory new cgroups are made in
};

struct CgroupLayout {
  ControllerPlace cpu;
  ControllerPlace memory;
  std::string problem;  // why a controller is unavailable; empty when both are
  bool usable() const {
    return cpu.version != CgroupVersion::kNone && memory.version != CgroupVersion::kNone;
  }
};

/// Reads /proc/self/mountinfo and /proc/self/cgroup. Each controller comes from cgroup v2 when
/// the unified hierarchy lists it in cgroup.controllers, else from its v1 hierarchy. v2 cgroups
/// go under the hierarchy's root (a cgroup holding processes cannot delegate controllers);
/// v1 cgroups go under this process's own cgroup of that controller.
CgroupLayout detect_cgroup_layout();
/// The same from the texts of those two files (tests point mount points at a temp dir).
CgroupLayout detect_cgroup_layout_from(std::string_view mountinfo, std::string_view self_cgroup);

/// Every mount point of a cgroup hierarchy that can hold a testbed cgroup (v2, v1 cpu, v1
/// memory): where cleanup searches for leftovers by name.
std::vector<std::string> cgroup_search_roots(std::string_view mountinfo);

struct CgroupLimits {
  double cpus = 0;                 // CPU quota in CPUs; <= 0: no limit
  int64_t cpu_period_us = 100000;  // CFS period
  int64_t memory_bytes = 0;        // <= 0: no limit
  /// Relative CPU weight when CPUs are contended, 100 = the kernel default (v2 cpu.weight,
  /// v1 cpu.shares = weight * 1024 / 100); <= 0 leaves the default.
  int64_t cpu_weight = 0;
};

/// A created cgroup: one directory (v2) or one per controller (v1).
struct TierCgroup {
  std::string name;
  CgroupVersion cpu_version = CgroupVersion::kNone;
  CgroupVersion memory_version = CgroupVersion::kNone;
  std::string cpu_dir;
  std::string memory_dir;

  /// The distinct directories (one when cpu and memory share a v2 cgroup).
  std::vector<std::string> dirs() const;
  nlohmann::json to_json() const;
  static TierCgroup from_json(const nlohmann::json& j);
};

/// "edgetier-<run_id>-<tier>".
std::string cgroup_name(std::string_view run_id, std::string_view tier);

/// Creates the cgroup(s) named `name` and writes the limits (cpu.max / memory.max, or
/// cpu.cfs_quota_us + cpu.cfs_period_us / memory.limit_in_bytes). Swap is capped at zero where
/// the kernel allows it, so going over the limit is an OOM kill as in a container.
Result<TierCgroup> create_cgroup(const CgroupLayout& layout, const std::string& name,
                                 const CgroupLimits& limits);

/// The cgroup.procs files a process is written into to join `cgroup`.
std::vector<std::string> cgroup_procs_files(const TierCgroup& cgroup);
Status add_pid_to_cgroup(const TierCgroup& cgroup, pid_t pid);

struct OomInfo {
  int64_t oom_kills = -1;  // memory.events / memory.oom_control "oom_kill"; -1: unknown
  int64_t failcnt = -1;    // v1 memory.failcnt (times the limit was hit); -1: unknown
};
OomInfo read_oom_info(const TierCgroup& cgroup);

/// Processes in any of the cgroup's directories.
std::vector<pid_t> cgroup_pids(const TierCgroup& cgroup);
/// Processes listed in one cgroup directory's cgroup.procs.
std::vector<pid_t> cgroup_dir_pids(const std::string& dir);

/// Kills what is left inside (SIGKILL), waits for it to leave and removes the directory.
Status remove_cgroup_dir(const std::string& dir, int timeout_ms = 3000);

/// Directories under `roots` (searched `max_depth` levels deep) whose base name satisfies
/// `match`; matched directories are not searched further.
std::vector<std::string> find_cgroup_dirs(const std::vector<std::string>& roots,
                                          const std::function<bool(const std::string&)>& match,
                                          int max_depth = 5);

}  // namespace edgetier::testbed
