/// File writes that a crash, a full disk or Ctrl-C never leave half done: atomic file replace
/// and atomic directory swap. Every writer of a result, a model or a state file uses these.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace edgetier {

/// Writes `bytes` to a temporary file beside `path` (same folder, so rename is atomic), fsyncs it
/// and renames it over `path`: a reader sees the old or the new content, never part of it. On
/// error the temporary file is removed and `path` is untouched. A full disk is RESOURCE_EXHAUSTED.
/// The folder of `path` must exist.
Status write_file_atomic(const std::string& path, std::string_view bytes, int mode = 0644);

/// Like write_file_atomic, but the content is streamed by `write` into the temporary file whose
/// path it is given (for writers that produce files themselves, e.g. protobuf serialisation).
/// `write` must create that file; on error or when it returns an error, nothing is renamed.
Status replace_file_atomic(const std::string& path,
                           const std::function<Status(const std::string& tmp_path)>& write);

/// Builds a directory by calling `fill` on an empty temporary folder beside `dir`, then swaps it
/// into place: an existing `dir` is moved aside first, the new one renamed in, and the old one
/// removed last (put back if the rename fails). On error nothing of the new one is left behind.
/// The parent of `dir` is created when missing.
Status replace_directory_atomic(const std::string& dir,
                                const std::function<Status(const std::string& tmp_dir)>& fill);

/// The whole file as bytes; NOT_FOUND names the path when it cannot be opened.
Result<std::string> read_file_bytes(const std::string& path);

/// A fresh private folder (mode 0700) under the system's temporary directory, removed with
/// everything in it when the object goes out of scope. path() is empty if it could not be made.
class ScopedTempDir {
 public:
  explicit ScopedTempDir(const std::string& prefix);
  ~ScopedTempDir();
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace edgetier
