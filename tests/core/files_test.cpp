/// Tests for the atomic file and directory writes.
#include "core/files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "test_util.h"

namespace edgetier {
namespace {
namespace fs = std::filesystem;

size_t entries(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

TEST(Files, WriteFileAtomicReplacesAndLeavesNoTemporary) {
  TempDir dir;
  const std::string path = dir.file("state.json");
  ASSERT_TRUE(write_file_atomic(path, "old").ok());
  ASSERT_TRUE(write_file_atomic(path, "new content").ok());
  EXPECT_EQ(*read_file_bytes(path), "new content");
  EXPECT_EQ(entries(dir.path()), 1u);
}

TEST(Files, WriteFileAtomicSetsTheMode) {
  TempDir dir;
  const std::string path = dir.file("token");
  ASSERT_TRUE(write_file_atomic(path, "secret", 0600).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Files, WriteIntoAMissingFolderFailsAndNamesIt) {
  TempDir dir;
  const std::string path = dir.file("missing/x.json");
  Status st = write_file_atomic(path, "x");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("missing"), std::string::npos) << st.message();
}

TEST(Files, ReplaceFileAtomicKeepsTheOldFileWhenTheWriterFails) {
  TempDir dir;
  const std::string path = dir.file("model.onnx");
  ASSERT_TRUE(write_file_atomic(path, "old").ok());
  Status st = replace_file_atomic(path, [](const std::string& tmp) {
    write_file(tmp, "half");
    return resource_exhausted("disk full");
  });
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(*read_file_bytes(path), "old");
  EXPECT_EQ(entries(dir.path()), 1u);
}

TEST(Files, ReplaceDirectoryAtomicSwapsOrKeepsTheOld) {
  TempDir dir;
  const std::string target = dir.file("variant");
  ASSERT_TRUE(replace_directory_atomic(target, [](const std::string& tmp) {
                write_file(tmp + "/a", "1");
                return ok_status();
              }).ok());
  EXPECT_EQ(*read_file_bytes(target + "/a"), "1");
  // A failing fill leaves the old directory as it was and nothing else behind.
  Status st = replace_directory_atomic(target, [](const std::string& tmp) {
    write_file(tmp + "/b", "2");
    return internal_error("fill failed");
  });
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(*read_file_bytes(target + "/a"), "1");
  EXPECT_FALSE(fs::exists(target + "/b"));
  EXPECT_EQ(entries(dir.path()), 1u);
  // A successful one replaces it whole.
  ASSERT_TRUE(replace_directory_atomic(target, [](const std::string& tmp) {
                write_file(tmp + "/b", "2");
                return ok_status();
              }).ok());
  EXPECT_FALSE(fs::exists(target + "/a"));
  EXPECT_EQ(*read_file_bytes(target + "/b"), "2");
  EXPECT_EQ(entries(dir.path()), 1u);
}

TEST(Files, ReadFileBytesNamesAMissingFile) {
  auto r = read_file_bytes("/nonexistent/edgetier/file");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("/nonexistent/edgetier/file"), std::string::npos);
}

}  // namespace
}  // namespace edgetier
