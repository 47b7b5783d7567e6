/// Process usage and cgroup limit readers.
#include "tier/usage.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace edgetier::tier {
namespace {

TEST(Usage, ReadsOwnRss) {
  const ProcessUsage usage = read_process_usage();
  EXPECT_GT(usage.rss_bytes, 1 << 20);
  EXPECT_GE(usage.peak_rss_bytes, usage.rss_bytes);
  EXPECT_GT(read_rss_bytes(getpid()), 1 << 20);
  EXPECT_EQ(read_rss_bytes(-5), -1);
}

TEST(Usage, CgroupLimitsAreConsistent) {
  const CgroupLimits limits = read_cgroup_limits();
  if (limits.cpu_quota_cores > 0) EXPECT_FALSE(limits.cpu_path.empty());
  if (limits.memory_limit_bytes > 0) EXPECT_FALSE(limits.memory_path.empty());
  const int threads = default_intra_op_threads();
  EXPECT_GE(threads, 1);
  EXPECT_LE(threads, online_cpus());
}

}  // namespace
}  // namespace edgetier::tier
