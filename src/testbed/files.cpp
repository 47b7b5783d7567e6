/// File helpers built on POSIX calls so errno lands in the message.
#include "testbed/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace edgetier::testbed {
namespace {

std::string errno_text() { return std::strerror(errno); }

}  // namespace

Result<std::string> read_text_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::string message = "cannot read '" + path + "': " + errno_text();
    return errno == ENOENT ? not_found(message) : internal_error(message);
  }
  std::string text;
  char buffer[16384];
  while (true) {
    ssize_t got = ::read(fd, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      std::string message = "cannot read '" + path + "': " + errno_text();
      ::close(fd);
      return internal_error(message);
    }
    if (got == 0) break;
    text.append(buffer, static_cast<size_t>(got));
  }
  ::close(fd);
  return text;
}

Status write_text_file(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return internal_error("cannot open '" + path + "' for writing: " + errno_text());
  ssize_t wrote = ::write(fd, text.data(), text.size());
  int write_errno = errno;
  ::close(fd);
  if (wrote != static_cast<ssize_t>(text.size())) {
    return internal_error("cannot write '" + text + "' to '" + path +
                          "': " + std::strerror(write_errno));
  }
  return ok_status();
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> list_subdirectories(const std::string& dir) {
  std::vector<std::string> names;
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) return names;
  while (dirent* entry = ::readdir(handle)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    bool is_dir =
        entry->d_type == DT_DIR || (entry->d_type == DT_UNKNOWN && is_directory(dir + "/" + name));
    if (is_dir) names.push_back(name);
  }
  ::closedir(handle);
  return names;
}

Status make_directories(const std::string& path, int mode) {
  if (path.empty()) return invalid_argument("make_directories: empty path");
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    std::string prefix = path.substr(0, pos);
    if (prefix.empty() || is_directory(prefix)) continue;
    if (::mkdir(prefix.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
      return internal_error("cannot create directory '" + prefix + "': " + errno_text());
    }
  }
  return ok_status();
}

}  // namespace edgetier::testbed
