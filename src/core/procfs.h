/// Parsers for the kernel's /proc texts: mountinfo (with its octal escapes), /proc/PID/cgroup and
/// the "Key: value kB" lines of /proc/PID/status, shared by the testbed and the tiers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edgetier {

/// mountinfo writes space, tab, newline and backslash in paths as \ooo (octal): "\040" -> " ".
std::string unescape_mountinfo(std::string_view text);

/// One line of /proc/PID/mountinfo.
struct MountInfoEntry {
  std::string root;         // the subtree of the filesystem that is mounted ("/" normally)
  std::string mount_point;  // unescaped
  std::string fs_type;      // e.g. cgroup, cgroup2
  std::vector<std::string> super_options;  // the comma-separated options after the fs source
  bool has_super_option(std::string_view option) const;
};

/// Every well-formed line; root and mount point unescaped.
std::vector<MountInfoEntry> parse_mountinfo(std::string_view text);
/// Only the cgroup v1 ("cgroup") and v2 ("cgroup2") mounts.
std::vector<MountInfoEntry> parse_cgroup_mounts(std::string_view mountinfo);

/// One line of /proc/PID/cgroup: "hierarchy-id:controllers:path" (v2 is "0::/path").
struct ProcCgroupEntry {
  std::string hierarchy_id;
  std::vector<std::string> controllers;  // empty for the v2 line
  std::string path;
  bool is_v2() const { return hierarchy_id == "0" && controllers.empty(); }
  bool has_controller(std::string_view controller) const;
};
std::vector<ProcCgroupEntry> parse_proc_cgroup(std::string_view text);
/// The path of the process's cgroup for `controller` (v1), or of its v2 cgroup when
/// `controller` is empty; "" when there is no such line.
std::string proc_cgroup_path(const std::vector<ProcCgroupEntry>& entries,
                             std::string_view controller);

/// The directory of `cgroup_path` under `mount` (whose root is the hierarchy path mounted
/// there), or "" when the mount does not contain that path.
std::string cgroup_dir_under_mount(const MountInfoEntry& mount, const std::string& cgroup_path);

/// "VmRSS:   1234 kB" in a /proc/PID/status text -> bytes; -1 when the key is missing.
int64_t proc_status_bytes(std::string_view status_text, std::string_view key);

/// The whole file (for /proc texts, whose size stat reports as 0); "" when unreadable.
std::string read_proc_text(const std::string& path);

/// The CPU's name in a /proc/cpuinfo text: "model name" (x86), else "Hardware" or "Model"
/// (ARM boards); "" when none is given.
std::string cpuinfo_model(std::string_view cpuinfo_text);
/// This machine's CPU name (/proc/cpuinfo); "unknown" when it names none.
std::string read_cpu_model();
/// Whether ONNX Runtime's u8 x s8 int8 kernels can saturate on the CPU a /proc/cpuinfo text
/// describes: x86 without VNNI (avx512_vnni or avx_vnni), whose AVX2/AVX-512 kernels add
/// products in pairs into 16 bits (VPMADDUBSW), so 255 x 127 x 2 clips. False elsewhere (ARM's
/// dot products accumulate in 32 bits) and when the text lists no x86 flags.
bool cpuinfo_int8_dot_saturates(std::string_view cpuinfo_text);
/// The same for this machine (read once).
bool this_cpu_int8_dot_saturates();
/// MemTotal of /proc/meminfo in bytes; 0 when unreadable.
int64_t read_memory_total_bytes();

}  // namespace edgetier
