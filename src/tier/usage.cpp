/// /proc and cgroup file readers for tier health reports.
#include "tier/usage.h"

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

namespace edgetier::tier {
namespace {

bool read_first_line(const std::string& path, std::string* line) {
  std::ifstream in(path);
  return in && std::getline(in, *line);
}

int64_t status_kb(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      std::istringstream fields(line.substr(key.size() + 1));
      int64_t kb = -1;
      fields >> kb;
      return kb < 0 ? -1 : kb * 1024;
    }
  }
  return -1;
}

struct Mount {
  std::string root;  // the hierarchy's subtree that is mounted
  std::string mountpoint;
  std::string fstype;  // cgroup or cgroup2
  std::string super_options;
};

std::vector<Mount> cgroup_mounts() {
  std::vector<Mount> mounts;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::vector<std::string> parts;
    std::string f;
    while (fields >> f) parts.push_back(f);
    // Fields: id parent dev root mountpoint options [optional...] - fstype source super-options
    auto dash = std::find(parts.begin(), parts.end(), "-");
    if (parts.size() < 5 || dash == parts.end() || parts.end() - dash < 4) continue;
    Mount m{parts[3], parts[4], *(dash + 1), *(dash + 3)};
    if (m.fstype == "cgroup" || m.fstype == "cgroup2") mounts.push_back(m);
  }
  return mounts;
}

bool has_option(const std::string& options, const std::string& name) {
  std::istringstream in(options);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item == name) return true;
  }
  return false;
}

// The directory of `cgroup_path` in the mount, or "" when the mount does not contain it.
std::string directory_in(const Mount& m, const std::string& cgroup_path) {
  std::string rel = cgroup_path;
  if (m.root != "/") {
    if (rel.rfind(m.root, 0) != 0) return "";
    rel = rel.substr(m.root.size());
  }
  if (rel.empty() || rel[0] != '/') rel = "/" + rel;
  return m.mountpoint + (rel == "/" ? "" : rel);
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
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  std::string v2_path, v1_cpu_path, v1_memory_path;
  while (std::getline(in, line)) {
    // "hierarchy-id:controllers:path"; v2 is "0::path".
    const size_t a = line.find(':');
    const size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    const std::string path = line.substr(b + 1);
    if (controllers.empty()) v2_path = path;
    if (has_option(controllers, "cpu")) v1_cpu_path = path;
    if (has_option(controllers, "memory")) v1_memory_path = path;
  }
  for (const Mount& m : cgroup_mounts()) {
    if (m.fstype == "cgroup2" && !v2_path.empty()) {
      const std::string dir = directory_in(m, v2_path);
      if (dir.empty()) continue;
      walk_up(dir, m.mountpoint, [&](const std::string& d) {
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
    if (m.fstype == "cgroup" && has_option(m.super_options, "cpu") && !v1_cpu_path.empty() &&
        limits.cpu_quota_cores <= 0) {
      const std::string dir = directory_in(m, v1_cpu_path);
      if (dir.empty()) continue;
      walk_up(dir, m.mountpoint, [&](const std::string& d) {
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
    if (m.fstype == "cgroup" && has_option(m.super_options, "memory") && !v1_memory_path.empty() &&
        limits.memory_limit_bytes <= 0) {
      const std::string dir = directory_in(m, v1_memory_path);
      if (dir.empty()) continue;
      // v1 reports "no limit" as a huge page-rounded number; anything above 2^60 is unlimited.
      walk_up(dir, m.mountpoint, [&](const std::string& d) {
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
