/// Tests for cgroup detection, limits and OOM detection (the real ones need root).
#include "testbed/cgroups.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstring>
#include <vector>

#include "graph/builder.h"
#include "graph/model_io.h"
#include "runtime/ort_session.h"
#include "test_util.h"
#include "testbed/files.h"
#include "testbed/launcher.h"
#include "testbed/state.h"
#include "testbed/teardown.h"
#include "testbed/testbed.h"
#include "testbed/testbed_fixtures.h"

namespace edgetier::testbed {
namespace {

std::string read_trimmed(const std::string& path) {
  auto text = read_text_file(path);
  if (!text.ok()) return "<" + text.status().message() + ">";
  std::string s = *text;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Removes the cgroup directories at the end of a test whatever happens.
struct CgroupGuard {
  TierCgroup cgroup;
  ~CgroupGuard() {
    for (const auto& dir : cgroup.dirs()) (void)remove_cgroup_dir(dir);
  }
};

TEST(CgroupLayout, HybridMachineUsesV1UnderOwnCgroups) {
  TempDir temp_dir;
  const std::string root = temp_dir.path();
  ASSERT_TRUE(make_directories(root + "/unified").ok());
  ASSERT_TRUE(write_text_file(root + "/unified/cgroup.controllers", "\n").ok());
  std::string mountinfo = "32 31 0:29 / " + root + "/cpu rw,relatime - cgroup cgroup rw,cpu\n" +
                          "35 31 0:31 / " + root +
                          "/memory rw,relatime - cgroup cgroup rw,memory\n" + "41 31 0:38 / " +
                          root + "/unified rw,relatime - cgroup2 cgroup2 rw\n";
  std::string self = "4:memory:/process_api/abc\n1:cpu:/\n0::/\n";
  CgroupLayout layout = detect_cgroup_layout_from(mountinfo, self);
  EXPECT_TRUE(layout.usable()) << layout.problem;
  EXPECT_EQ(layout.cpu.version, CgroupVersion::kV1);
  EXPECT_EQ(layout.cpu.parent, root + "/cpu");
  EXPECT_EQ(layout.memory.version, CgroupVersion::kV1);
  EXPECT_EQ(layout.memory.parent, root + "/memory/process_api/abc");
  auto roots = cgroup_search_roots(mountinfo);
  EXPECT_EQ(roots.size(), 3u);
}

TEST(CgroupLayout, ComountedV1AndContainerMountRoot) {
  std::string mountinfo =
      "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
      "35 31 0:31 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
  std::string self = "5:memory:/docker/abc/inner\n2:cpu,cpuacct:/docker/abc\n";
  CgroupLayout layout = detect_cgroup_layout_from(mountinfo, self);
  EXPECT_EQ(layout.cpu.parent, "/sys/fs/cgroup/cpu,cpuacct/docker/abc");
  EXPECT_EQ(layout.memory.parent, "/sys/fs/cgroup/memory/inner");
}

TEST(CgroupLayout, ReportsMissingControllers) {
  TempDir temp_dir;
  const std::string root = temp_dir.path();
  ASSERT_TRUE(write_text_file(root + "/cgroup.controllers", "pids io\n").ok());
  CgroupLayout layout =
      detect_cgroup_layout_from("30 1 0:26 / " + root + " rw - cgroup2 cgroup2 rw\n", "0::/\n");
  EXPECT_FALSE(layout.usable());
  EXPECT_NE(layout.problem.find("no 'cpu' controller"), std::string::npos) << layout.problem;
  EXPECT_NE(layout.problem.find("no 'memory' controller"), std::string::npos);
  auto created = create_cgroup(layout, "edgetier-abcdef-mobile", {0.5, 10000, 64 << 20});
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), StatusCode::kFailedPrecondition);
}

TEST(CgroupLimitsV2, WritesCpuMaxMemoryMaxAndDelegatesControllers) {
  TempDir temp_dir;
  const std::string root = temp_dir.path();
  ASSERT_TRUE(write_text_file(root + "/cgroup.controllers", "cpuset cpu io memory pids\n").ok());
  ASSERT_TRUE(write_text_file(root + "/cgroup.subtree_control", "").ok());
  CgroupLayout layout =
      detect_cgroup_layout_from("30 1 0:26 / " + root + " rw - cgroup2 cgroup2 rw,nsdelegate\n",
                                "0::/user.slice/session-1.scope\n");
  ASSERT_TRUE(layout.usable()) << layout.problem;
  EXPECT_EQ(layout.cpu.version, CgroupVersion::kV2);
  EXPECT_EQ(layout.memory.parent, root);  // the root: a cgroup with processes cannot delegate
  // The kernel creates the interface files with the directory; the test provides swap.max.
  ASSERT_TRUE(make_directories(root + "/edgetier-abcdef-mobile").ok());
  ASSERT_TRUE(write_text_file(root + "/edgetier-abcdef-mobile/memory.swap.max", "max").ok());
  auto cg = create_cgroup(layout, "edgetier-abcdef-mobile", {0.5, 10000, 64LL << 20});
  ASSERT_TRUE(cg.ok()) << cg.status().to_string();
  EXPECT_EQ(cg->dirs().size(), 1u);
  EXPECT_EQ(read_trimmed(cg->cpu_dir + "/cpu.max"), "5000 10000");
  EXPECT_EQ(read_trimmed(cg->memory_dir + "/memory.max"), std::to_string(64LL << 20));
  EXPECT_EQ(read_trimmed(cg->memory_dir + "/memory.swap.max"), "0");
  EXPECT_EQ(read_trimmed(root + "/cgroup.subtree_control"), "+memory");  // the last of two writes
  EXPECT_EQ(cgroup_procs_files(*cg), std::vector<std::string>{cg->cpu_dir + "/cgroup.procs"});

  ASSERT_TRUE(write_text_file(cg->memory_dir + "/memory.events",
                              "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n")
                  .ok());
  EXPECT_EQ(read_oom_info(*cg).oom_kills, 1);
}

TEST(CgroupLimitsV2, RejectsQuotaBelowKernelMinimum) {
  TempDir temp_dir;
  const std::string root = temp_dir.path();
  ASSERT_TRUE(write_text_file(root + "/cgroup.controllers", "cpu memory\n").ok());
  ASSERT_TRUE(write_text_file(root + "/cgroup.subtree_control", "cpu memory\n").ok());
  CgroupLayout layout =
      detect_cgroup_layout_from("30 1 0:26 / " + root + " rw - cgroup2 cgroup2 rw\n", "0::/\n");
  auto cg = create_cgroup(layout, "edgetier-abcdef-mobile", {0.05, 10000, 0});
  ASSERT_FALSE(cg.ok());
  EXPECT_NE(cg.status().message().find("raise cpu_period_us"), std::string::npos)
      << cg.status().message();
}

TEST(CgroupsReal, AppliesCpuQuotaAndMemoryLimit) {
  EDGETIER_REQUIRE_ROOT();
  CgroupLayout layout = detect_cgroup_layout();
  ASSERT_TRUE(layout.usable()) << layout.problem;
  CgroupGuard guard;
  auto cg = create_cgroup(layout, cgroup_name(new_run_id(), "mobile"), {0.5, 10000, 96LL << 20});
  ASSERT_TRUE(cg.ok()) << cg.status().to_string();
  guard.cgroup = *cg;
  if (cg->cpu_version == CgroupVersion::kV2) {
    EXPECT_EQ(read_trimmed(cg->cpu_dir + "/cpu.max"), "5000 10000");
  } else {
    EXPECT_EQ(read_trimmed(cg->cpu_dir + "/cpu.cfs_quota_us"), "5000");
    EXPECT_EQ(read_trimmed(cg->cpu_dir + "/cpu.cfs_period_us"), "10000");
  }
  const std::string memory_file =
      cg->memory_version == CgroupVersion::kV2 ? "/memory.max" : "/memory.limit_in_bytes";
  EXPECT_EQ(read_trimmed(cg->memory_dir + memory_file), std::to_string(96LL << 20));

  // A process started into it is listed there, and removal kills it and the directories go.
  LaunchSpec spec;
  spec.argv = {"sleep", "30"};
  spec.cgroup_procs = cgroup_procs_files(*cg);
  auto child = spawn_process(spec);
  ASSERT_TRUE(child.ok()) << child.status().to_string();
  auto pids = cgroup_pids(*cg);
  ASSERT_EQ(pids.size(), 1u);
  EXPECT_EQ(pids[0], child->pid);
  for (const auto& dir : cg->dirs()) ASSERT_TRUE(remove_cgroup_dir(dir).ok());
  EXPECT_EQ(wait_process(*child, 3000).state, ProcessState::kKilled);
  for (const auto& dir : cg->dirs()) EXPECT_FALSE(is_directory(dir)) << dir;
}

// Runs `fn` in a child inside a fresh cgroup limited to `memory_bytes`; returns its tier record
// after it ended (state oom or dead).
TierRecord run_limited(const std::function<int()>& fn, int64_t memory_bytes, CgroupGuard* guard) {
  TierRecord tier;
  CgroupLayout layout = detect_cgroup_layout();
  auto cg = create_cgroup(layout, cgroup_name(new_run_id(), "mobile"), {1.0, 100000, memory_bytes});
  EXPECT_TRUE(cg.ok()) << cg.status().to_string();
  if (!cg.ok()) return tier;
  guard->cgroup = *cg;
  LaunchSpec spec;
  spec.cgroup_procs = cgroup_procs_files(*cg);
  auto child = spawn_function(spec, fn);
  EXPECT_TRUE(child.ok()) << child.status().to_string();
  if (!child.ok()) return tier;
  tier.name = "mobile";
  tier.pid = child->pid;
  tier.start_ticks = child->start_ticks;
  tier.cgroup = *cg;
  tier.memory_bytes = memory_bytes;
  tier.state = TierStatus::kRunning;
  EXPECT_NE(wait_process(*child, 20000).state, ProcessState::kRunning);
  refresh_tier_state(&tier);
  return tier;
}

TEST(CgroupsReal, AllocationOverMemoryLimitIsReportedAsOom) {
  EDGETIER_REQUIRE_ROOT();
  CgroupGuard guard;
  TierRecord tier = run_limited(
      []() {
        const size_t bytes = 256u << 20;
        auto* block = static_cast<volatile char*>(std::malloc(bytes));
        for (size_t i = 0; block != nullptr && i < bytes; i += 4096)
          block[i] = 1;  // touch every page
        return 0;
      },
      64LL << 20, &guard);
  EXPECT_EQ(tier.state, TierStatus::kOom) << tier.detail;
  EXPECT_NE(tier.detail.find("OOM killer"), std::string::npos) << tier.detail;
  EXPECT_GE(read_oom_info(tier.cgroup).oom_kills, 1);
}

TEST(CgroupsReal, ModelOverMemoryLimitIsReportedAsOom) {
  EDGETIER_REQUIRE_ROOT();
  // A MatMul with a 128 MiB weight: loading it cannot fit in 64 MiB.
  GraphBuilder builder("big_model");
  std::string x = builder.input("x", {1, 4096});
  std::string w = builder.initializer("w", {4096, 8192}, std::vector<float>(4096 * 8192, 0.01f));
  std::string y = builder.node("MatMul", {x, w})[0];
  builder.set_shape(y, {1, 8192});
  builder.output(y);
  auto model = builder.build();
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  auto bytes = serialize_model(*model);
  ASSERT_TRUE(bytes.ok());
  CgroupGuard guard;
  TierRecord tier = run_limited(
      [&]() {
        auto session = OrtSession::from_bytes(*bytes, SessionOptions{}, "big_model");
        if (!session.ok()) return 3;
        auto out = (*session)->run({Tensor::zeros("x", DType::kFloat32, {1, 4096})});
        return out.ok() ? 0 : 4;
      },
      64LL << 20, &guard);
  EXPECT_EQ(tier.state, TierStatus::kOom) << tier.detail;
}

TEST(CgroupsReal, OrdinaryExitIsDeadNotOom) {
  EDGETIER_REQUIRE_ROOT();
  CgroupGuard guard;
  TierRecord tier = run_limited([]() { return 3; }, 64LL << 20, &guard);
  EXPECT_EQ(tier.state, TierStatus::kDead);
  EXPECT_EQ(tier.detail, "exited with code 3");
}

}  // namespace
}  // namespace edgetier::testbed
