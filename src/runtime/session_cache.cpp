/// Keys of the optimized-graph cache (the loading itself is in ort_session.cpp).
#include "runtime/session_cache.h"

#include <sys/stat.h>

#include <filesystem>

#include "core/procfs.h"
#include "core/sha256.h"

namespace edgetier {

std::string session_cache_path(const std::string& dir, const std::string& model_path,
                               const SessionOptions& options) {
  if (dir.empty() || model_path.empty()) return "";
  if (options.graph_opt_level != GraphOptLevel::kAll || options.execution_provider != "cpu" ||
      options.enable_profiling)
    return "";
  std::error_code ec;
  const auto canonical = std::filesystem::canonical(model_path, ec);
  if (ec) return "";
  struct stat st {};
  if (::stat(canonical.c_str(), &st) != 0) return "";
  static const std::string cpu = read_cpu_model();
  const std::string key = "edgetier-session-cache-1|" + ort_version() + "|" + cpu + "|" +
                          canonical.string() + "|" + std::to_string(st.st_size) + "|" +
                          std::to_string(st.st_mtim.tv_sec) + "." +
                          std::to_string(st.st_mtim.tv_nsec) + "|arena" +
                          std::to_string(options.enable_cpu_mem_arena);
  return (std::filesystem::path(dir) / (sha256_hex(key).substr(0, 32) + ".onnx")).string();
}

}  // namespace edgetier
