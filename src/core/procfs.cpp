/// /proc text parsers: mountinfo, /proc/PID/cgroup, /proc/PID/status.
#include "core/procfs.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/strings.h"

namespace edgetier {
namespace {

bool is_octal(char c) { return c >= '0' && c <= '7'; }

}  // namespace

std::string unescape_mountinfo(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && is_octal(text[i + 1]) && is_octal(text[i + 2]) &&
        is_octal(text[i + 3])) {
      out += static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
                               (text[i + 3] - '0'));
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool MountInfoEntry::has_super_option(std::string_view option) const {
  return std::find(super_options.begin(), super_options.end(), option) != super_options.end();
}

std::vector<MountInfoEntry> parse_mountinfo(std::string_view text) {
  std::vector<MountInfoEntry> mounts;
  for (const auto& line : split(text, '\n')) {
    // Fields: id parent dev root mountpoint options [optional...] - fstype source super-options
    auto fields = split_words(line);
    auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 5 || dash == fields.end() || std::distance(dash, fields.end()) < 4 ||
        std::distance(fields.begin(), dash) < 5) {
      continue;
    }
    MountInfoEntry entry;
    entry.root = unescape_mountinfo(fields[3]);
    entry.mount_point = unescape_mountinfo(fields[4]);
    entry.fs_type = *(dash + 1);
    entry.super_options = split(*(dash + 3), ',');
    mounts.push_back(std::move(entry));
  }
  return mounts;
}

std::vector<MountInfoEntry> parse_cgroup_mounts(std::string_view mountinfo) {
  std::vector<MountInfoEntry> mounts;
  for (auto& m : parse_mountinfo(mountinfo)) {
    if (m.fs_type == "cgroup" || m.fs_type == "cgroup2") mounts.push_back(std::move(m));
  }
  return mounts;
}

bool ProcCgroupEntry::has_controller(std::string_view controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

std::vector<ProcCgroupEntry> parse_proc_cgroup(std::string_view text) {
  std::vector<ProcCgroupEntry> entries;
  for (const auto& line : split(text, '\n')) {
    const size_t first = line.find(':');
    const size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    ProcCgroupEntry e;
    e.hierarchy_id = line.substr(0, first);
    const std::string controllers = line.substr(first + 1, second - first - 1);
    if (!controllers.empty()) e.controllers = split(controllers, ',');
    e.path = line.substr(second + 1);
    entries.push_back(std::move(e));
  }
  return entries;
}

std::string proc_cgroup_path(const std::vector<ProcCgroupEntry>& entries,
                             std::string_view controller) {
  for (const auto& e : entries) {
    if (controller.empty() ? e.is_v2() : e.has_controller(controller)) return e.path;
  }
  return "";
}

std::string cgroup_dir_under_mount(const MountInfoEntry& mount, const std::string& cgroup_path) {
  std::string relative = cgroup_path;
  if (mount.root != "/") {
    if (relative.rfind(mount.root, 0) != 0) return "";
    relative = relative.substr(mount.root.size());
  }
  if (relative.empty() || relative == "/") return mount.mount_point;
  if (relative.front() != '/') relative = "/" + relative;
  return mount.mount_point + relative;
}

int64_t proc_status_bytes(std::string_view status_text, std::string_view key) {
  const std::string prefix = std::string(key) + ":";
  for (const auto& line : split(status_text, '\n')) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::istringstream fields(line.substr(prefix.size()));
    int64_t kb = -1;
    fields >> kb;
    return kb < 0 ? -1 : kb * 1024;
  }
  return -1;
}

std::string read_proc_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

namespace {

// Calls visit(key, value) for each "key : value" line with a value, until it returns true.
template <typename Visit>
void for_each_cpuinfo_entry(std::string_view cpuinfo_text, Visit visit) {
  std::istringstream lines{std::string(cpuinfo_text)};
  std::string line;
  while (std::getline(lines, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
    const auto start = line.find_first_not_of(" \t", colon + 1);
    const std::string value = start == std::string::npos ? "" : line.substr(start);
    if (!value.empty() && visit(key, value)) return;
  }
}

}  // namespace

std::string cpuinfo_model(std::string_view cpuinfo_text) {
  std::string model, fallback;
  for_each_cpuinfo_entry(cpuinfo_text, [&](const std::string& key, const std::string& value) {
    if (key == "model name") model = value;
    if ((key == "Hardware" || key == "Model") && fallback.empty()) fallback = value;
    return !model.empty();
  });
  return model.empty() ? fallback : model;
}

bool cpuinfo_int8_dot_saturates(std::string_view cpuinfo_text) {
  std::string flags;
  for_each_cpuinfo_entry(cpuinfo_text, [&](const std::string& key, const std::string& value) {
    if (key == "flags") flags = " " + value + " ";  // x86 only (ARM lists "Features")
    return !flags.empty();
  });
  if (flags.find(" sse2 ") == std::string::npos) return false;  // not x86
  return flags.find(" avx512_vnni ") == std::string::npos &&
         flags.find(" avx_vnni ") == std::string::npos;
}

bool this_cpu_int8_dot_saturates() {
  static const bool saturates = cpuinfo_int8_dot_saturates(read_proc_text("/proc/cpuinfo"));
  return saturates;
}

std::string read_cpu_model() {
  const std::string model = cpuinfo_model(read_proc_text("/proc/cpuinfo"));
  return model.empty() ? "unknown" : model;
}

int64_t read_memory_total_bytes() {
  const int64_t bytes = proc_status_bytes(read_proc_text("/proc/meminfo"), "MemTotal");
  return bytes > 0 ? bytes : 0;
}

}  // namespace edgetier
