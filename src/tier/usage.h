/// What a tier process uses and may use: RSS, CPU time, and its cgroup's CPU/memory limits.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace edgetier::tier {

struct ProcessUsage {
  int64_t rss_bytes = -1;
  int64_t peak_rss_bytes = -1;
  double cpu_user_s = 0;
  double cpu_system_s = 0;
};

/// This process's usage (/proc/self/status and getrusage).
ProcessUsage read_process_usage();
/// VmRSS of any process from /proc/PID/status; -1 when it cannot be read (e.g. it exited).
int64_t read_rss_bytes(pid_t pid);

struct CgroupLimits {
  std::string version;             // "v1", "v2", or "" when nothing could be read
  double cpu_quota_cores = 0;      // <= 0: unlimited
  int64_t memory_limit_bytes = 0;  // <= 0: unlimited
  int64_t memory_usage_bytes = -1;
  std::string cpu_path;  // the cgroup directories the values came from
  std::string memory_path;
};

/// This process's limits from /proc/self/cgroup and /proc/self/mountinfo (v2 cpu.max/memory.max,
/// else v1 cpu.cfs_quota_us/memory.limit_in_bytes); the tightest limit on the path to the root
/// counts. Best effort: unreadable files leave the limit at "unlimited".
CgroupLimits read_cgroup_limits();

/// CPUs this process may run on (affinity mask).
int online_cpus();
/// ONNX Runtime intra-op threads for this process: ceil(cgroup CPU quota) when limited, else
/// the CPUs it may run on.
int default_intra_op_threads();

}  // namespace edgetier::tier
