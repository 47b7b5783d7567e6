/// Tests for the optimized-graph cache: a second load comes from the cache with the same results,
/// a damaged entry falls back to the model file, and only cacheable options are cached.
#include "runtime/session_cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <random>

#include "graph/fixtures.h"
#include "runtime/ort_session.h"
#include "test_util.h"

namespace edgetier {
namespace {

Tensor random_input(uint32_t seed) {
  Tensor t = Tensor::zeros("input", DType::kFloat32, {1, 3, 16, 16});
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist;
  for (size_t i = 0; i < t.num_elements(); ++i) t.data_as<float>()[i] = dist(rng);
  return t;
}

size_t files_in(const std::string& dir) {
  if (!std::filesystem::exists(dir)) return 0;
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) n += entry.is_regular_file();
  return n;
}

struct CachedModel {
  TempDir dir;
  std::string model = dir.file("residual.onnx");
  std::string cache = dir.file("sessions");
  SessionOptions options;
  CachedModel() {
    write_file(model, fixtures::residual_model().SerializeAsString());
    options.optimized_cache_dir = cache;
  }
};

TEST(SessionCache, SecondLoadComesFromTheCacheWithTheSameOutputs) {
  CachedModel m;
  auto first = OrtSession::from_file(m.model, m.options);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_FALSE((*first)->from_cache());
  const std::string entry = session_cache_path(m.cache, m.model, m.options);
  ASSERT_FALSE(entry.empty());
  EXPECT_TRUE(std::filesystem::exists(entry));
  EXPECT_EQ(files_in(m.cache), 1u) << "no partial file may be left behind";
  struct stat st {};
  ASSERT_EQ(::stat(m.cache.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u) << "the cache decides what loads: owner only";

  auto second = OrtSession::from_file(m.model, m.options);
  ASSERT_TRUE(second.ok()) << second.status().to_string();
  EXPECT_TRUE((*second)->from_cache());
  ASSERT_EQ((*second)->inputs().size(), (*first)->inputs().size());
  EXPECT_EQ((*second)->inputs()[0].name, (*first)->inputs()[0].name);
  EXPECT_EQ((*second)->outputs()[0].name, (*first)->outputs()[0].name);
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    auto a = (*first)->run({random_input(seed)});
    auto b = (*second)->run({random_input(seed)});
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ((*a)[0].shape, (*b)[0].shape);
    EXPECT_EQ((*a)[0].data, (*b)[0].data) << "the cached graph is the same optimized graph";
  }
}

TEST(SessionCache, ADamagedEntryIsReplacedAndTheModelStillLoads) {
  CachedModel m;
  ASSERT_TRUE(OrtSession::from_file(m.model, m.options).ok());
  const std::string entry = session_cache_path(m.cache, m.model, m.options);
  write_file(entry, "half a graph");  // a killed writer or a full disk
  auto session = OrtSession::from_file(m.model, m.options);
  ASSERT_TRUE(session.ok()) << session.status().to_string();
  EXPECT_FALSE((*session)->from_cache());
  EXPECT_TRUE((*session)->run({random_input(1)}).ok());
  auto again = OrtSession::from_file(m.model, m.options);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)->from_cache()) << "the damaged entry was written anew";
}

TEST(SessionCache, AChangedModelFileGetsANewEntry) {
  CachedModel m;
  const std::string before = session_cache_path(m.cache, m.model, m.options);
  ASSERT_TRUE(OrtSession::from_file(m.model, m.options).ok());
  write_file(m.model, fixtures::chain_model().SerializeAsString());
  const std::string after = session_cache_path(m.cache, m.model, m.options);
  EXPECT_NE(before, after);
  auto session = OrtSession::from_file(m.model, m.options);
  ASSERT_TRUE(session.ok());
  EXPECT_FALSE((*session)->from_cache()) << "a stale graph must never load for a new file";
}

TEST(SessionCache, OnlyFullyOptimizedCpuSessionsFromFilesAreCached) {
  CachedModel m;
  SessionOptions basic = m.options;
  basic.graph_opt_level = GraphOptLevel::kBasic;
  EXPECT_EQ(session_cache_path(m.cache, m.model, basic), "");
  SessionOptions profiled = m.options;
  profiled.enable_profiling = true;
  EXPECT_EQ(session_cache_path(m.cache, m.model, profiled), "");
  EXPECT_EQ(session_cache_path(m.cache, m.dir.file("missing.onnx"), m.options), "");
  EXPECT_EQ(session_cache_path("", m.model, m.options), "");
  auto session = OrtSession::from_file(m.model, basic);
  ASSERT_TRUE(session.ok());
  EXPECT_FALSE((*session)->from_cache());
  EXPECT_EQ(files_in(m.cache), 0u);
  SessionOptions no_arena = m.options;
  no_arena.enable_cpu_mem_arena = false;
  EXPECT_NE(session_cache_path(m.cache, m.model, no_arena),
            session_cache_path(m.cache, m.model, m.options));
}

}  // namespace
}  // namespace edgetier
