/// /proc and cgroup file readers for tier health reports.
#include "tier/usage.h"

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/procfs.h"

namespace edgetier::tier {
namespace {

bool read_first_line(const std::string& path, std::string* line) {
  std::ifstream in(path);
  return in && std::getline(in, *line);
}

int64_t status_kb(const std::string& path, const std::string& key) {
  return proc_status_bytes(read_proc_text(path), key);
}

using Mount = MountInfoEntry;

std::vector<Mount> cgroup_mounts() {
  return parse_cgroup_mounts(read_proc_text("/proc/self/mountinfo"));
}

// Walks from `dir` up to `top`, calling `visit` on each directory.
template <typename Visit>
void walk_up(std::string dir, const std::string& top, Visit visit) {
  while (true) {
    visit(dir);
    if (dir.size() <= top.size()) break;
    const size_t slash = dir.rfind('/');
    if (slash == std::string::npos || slash < top.size()) break;
    dir = dir.substr(0, slash);
  }
}

int64_t parse_int(const std::string& text, int64_t fallback) {
  try {
    size_t used = 0;
    const long long v = std::stoll(text, &used);
    return used ? static_cast<int64_t>(v) : fallback;
  } catch (...) {
    return fallback;
  }
}

}  // namespace

ProcessUsage read_process_usage() {
  ProcessUsage usage;
  usage.rss_bytes = status_kb("/proc/self/status", "VmRSS");
  usage.peak_rss_bytes = status_kb("/proc/self/status", "VmHWM");
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    usage.cpu_user_s = static_cast<double>(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec * 1e-6;
    usage.cpu_system_s = static_cast<double>(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec * 1e-6;
  }
  return usage;
}

int64_t read_rss_bytes(pid_t pid) {
  return status_kb("/proc/" + std::to_string(pid) + "/status", "VmRSS");
}

CgroupLimits read_cgroup_limits() {
  CgroupLimits limits;
  const auto own = parse_proc_cgroup(read_proc_text("/proc/self/cgroup"));
  const std::string v2_path = proc_cgroup_path(own, "");
  const std::string v1_cpu_path = proc_cgroup_path(own, "cpu");
  const std::string v1_memory_path = proc_cgroup_path(own, "memory");
  for (const Mount& m : cgroup_mounts()) {
    if (m.fs_type == "cgroup2" && !v2_path.empty()) {
      const std::string dir = cgroup_dir_under_mount(m, v2_path);
      if (dir.empty()) continue;
      walk_up(dir, m.mount_point, [&](const std::string& d) {
        std::string text;
        if (read_first_line(d + "/cpu.max", &text)) {
          std::istringstream fields(text);
          std::string quota, period;
          fields >> quota >> period;
          if (quota != "max") {
            const double cores =
                static_cast<double>(parse_int(quota, 0)) /
                static_cast<double>(std::max<int64_t>(parse_int(period, 100000), 1));
            if (cores > 0 && (limits.cpu_quota_cores <= 0 || cores < limits.cpu_quota_cores)) {
              limits.cpu_quota_cores = cores;
              limits.cpu_path = d;
              limits.version = "v2";
            }
          }
        }
        if (read_first_line(d + "/memory.max", &text) && text != "max") {
          const int64_t bytes = parse_int(text, 0);
          if (bytes > 0 && (limits.memory_limit_bytes <= 0 || bytes < limits.memory_limit_bytes)) {
            limits.memory_limit_bytes = bytes;
            limits.memory_path = d;
            limits.version = "v2";
          }
        }
      });
      std::string current;
      if (read_first_line(dir + "/memory.current", &current)) {
        limits.memory_usage_bytes = parse_int(current, -1);
      }
    }
    if (m.fs_type == "cgroup" && m.has_super_option("cpu") && !v1_cpu_path.empty() &&
        limits.cpu_quota_cores <= 0) {
      const std::string dir = cgroup_dir_under_mount(m, v1_cpu_path);
      if (dir.empty()) continue;
      walk_up(dir, m.mount_point, [&](const std::string& d) {
        std::string quota, period;
        if (!read_first_line(d + "/cpu.cfs_quota_us", &quota)) return;
        if (!read_first_line(d + "/cpu.cfs_period_us", &period)) return;
        const int64_t q = parse_int(quota, -1), p = parse_int(period, 0);
        if (q <= 0 || p <= 0) return;
        const double cores = static_cast<double>(q) / static_cast<double>(p);
        if (limits.cpu_quota_cores <= 0 || cores < limits.cpu_quota_cores) {
          limits.cpu_quota_cores = cores;
          limits.cpu_path = d;
          if (limits.version.empty()) limits.version = "v1";
        }
      });
    }
    if (m.fs_type == "cgroup" && m.has_super_option("memory") && !v1_memory_path.empty() &&
        limits.memory_limit_bytes <= 0) {
      const std::string dir = cgroup_dir_under_mount(m, v1_memory_path);
      if (dir.empty()) continue;
      // v1 reports "no limit" as a huge page-rounded number; anything above 2^60 is unlimited.
      walk_up(dir, m.mount_point, [&](const std::string& d) {
        std::string text;
        if (!read_first_line(d + "/memory.limit_in_bytes", &text)) return;
        const int64_t bytes = parse_int(text, 0);
        if (bytes <= 0 || bytes >= (int64_t{1} << 60)) return;
        if (limits.memory_limit_bytes <= 0 || bytes < limits.memory_limit_bytes) {
          limits.memory_limit_bytes = bytes;
          limits.memory_path = d;
          if (limits.version.empty()) limits.version = "v1";
        }
      });
      std::string usage;
      if (limits.memory_usage_bytes < 0 &&
          read_first_line(dir + "/memory.usage_in_bytes", &usage)) {
        limits.memory_usage_bytes = parse_int(usage, -1);
      }
    }
  }
  return limits;
}

int online_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return 1;
}

int default_intra_op_threads() {
  const CgroupLimits limits = read_cgroup_limits();
  const int cpus = online_cpus();
  if (limits.cpu_quota_cores > 0) {
    return std::clamp(static_cast<int>(std::ceil(limits.cpu_quota_cores - 1e-9)), 1, cpus);
  }
  return cpus;
}

}  // namespace edgetier::tier
