/// Atomic writes: temporary file or folder beside the target, fsync, rename.
#include "core/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace edgetier {
namespace fs = std::filesystem;
namespace {

/// A name beside `path` no other writer (thread or process) picks at the same time.
std::string temp_name(const std::string& path, const char* kind) {
  static std::atomic<uint64_t> counter{0};
  const fs::path p(path);
  const std::string base = p.filename().string();
  return (p.parent_path() / ("." + base + "." + kind + "-" + std::to_string(::getpid()) + "-" +
                             std::to_string(counter++)))
      .string();
}

Status errno_status(const std::string& what, int err) {
  const std::string message = what + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return resource_exhausted(message + " (disk full?)");
  if (err == EACCES || err == EPERM || err == EROFS) return permission_denied(message);
  if (err == ENOENT || err == ENOTDIR) return not_found(message);
  return internal_error(message);
}

Status fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status("cannot open '" + path + "'", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0 && err != EINVAL) return errno_status("cannot sync '" + path + "'", err);
  return ok_status();
}

Status rename_over(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    return errno_status("cannot rename '" + from + "' to '" + to + "'", errno);
  return ok_status();
}

}  // namespace

Status write_file_atomic(const std::string& path, std::string_view bytes, int mode) {
  const std::string tmp = temp_name(path, "tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    const int err = errno;
    return errno_status("cannot write '" + path + "'" +
                            (err == ENOENT ? " (its folder does not exist)" : ""),
                        err);
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t wrote = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return errno_status("cannot write '" + path + "'", err);
    }
    done += static_cast<size_t>(wrote);
  }
  if (::fsync(fd) != 0 && errno != EINVAL) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return errno_status("cannot write '" + path + "'", err);
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return errno_status("cannot write '" + path + "'", err);
  }
  Status st = rename_over(tmp, path);
  if (!st.ok()) ::unlink(tmp.c_str());
  return st;
}

Status replace_file_atomic(const std::string& path,
                           const std::function<Status(const std::string& tmp_path)>& write) {
  const std::string tmp = temp_name(path, "tmp");
  Status st = write(tmp);
  if (st.ok()) st = fsync_path(tmp);
  if (st.ok()) st = rename_over(tmp, path);
  if (!st.ok()) ::unlink(tmp.c_str());
  return st;
}

Status replace_directory_atomic(const std::string& dir,
                                const std::function<Status(const std::string& tmp_dir)>& fill) {
  const fs::path target = fs::path(dir).lexically_normal();
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return permission_denied("cannot create '" + parent.string() + "': " + ec.message());
  const std::string tmp = temp_name(target.string(), "new");
  const std::string old = temp_name(target.string(), "old");
  fs::create_directory(tmp, ec);
  if (ec) return permission_denied("cannot create '" + tmp + "': " + ec.message());
  Status st = fill(tmp);
  bool moved_aside = false;
  if (st.ok() && fs::exists(target, ec)) {
    st = rename_over(target.string(), old);
    moved_aside = st.ok();
  }
  if (st.ok()) {
    st = rename_over(tmp, target.string());
    std::error_code ignore;
    if (!st.ok() && moved_aside) fs::rename(old, target, ignore);  // put the old one back
  }
  std::error_code ignore;
  fs::remove_all(tmp, ignore);
  fs::remove_all(old, ignore);
  return st;
}

Result<std::string> read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot open '" + path + "': " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return data_loss("reading '" + path + "' failed");
  return buffer.str();
}

ScopedTempDir::ScopedTempDir(const std::string& prefix) {
  std::error_code ec;
  std::string pattern = (std::filesystem::temp_directory_path(ec) / (prefix + "-XXXXXX")).string();
  if (ec) return;
  if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

ScopedTempDir::~ScopedTempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace edgetier
