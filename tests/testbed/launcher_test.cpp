/// Tests for the process launcher: READY detection, early exits, stopping, joining a namespace.
#include "testbed/launcher.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "test_util.h"
#include "testbed/files.h"
#include "testbed/netns.h"
#include "testbed/teardown.h"
#include "testbed/testbed_fixtures.h"

namespace edgetier::testbed {
namespace {

TEST(Launcher, WaitsForReadyLineAndStops) {
  TempDir temp_dir;
  const std::string dir = temp_dir.path();
  LaunchSpec spec;
  spec.argv = {"/bin/sh", "-c",
               "echo starting; sleep 0.2; echo READY tier=x listen=y; exec sleep 30"};
  spec.log_path = dir + "/x.log";
  spec.env = {{"EDGETIER_TIER", "x"}};
  auto child = spawn_process(spec);
  ASSERT_TRUE(child.ok()) << child.status().to_string();
  EXPECT_GT(child->start_ticks, 0);
  auto ready = wait_for_ready(*child, spec.log_path, "READY", 10000);
  ASSERT_TRUE(ready.ok()) << ready.status().to_string();
  EXPECT_EQ(*ready, "READY tier=x listen=y");
  // READY comes just before `exec sleep`: /proc/PID/environ reads empty while the exec is
  // under way, so read until the new image is in place.
  const std::string wanted = std::string("EDGETIER_TIER=x") + '\0';
  Result<std::string> environ = std::string();
  for (int attempt = 0; attempt < 100; ++attempt) {
    environ = read_text_file("/proc/" + std::to_string(child->pid) + "/environ");
    ASSERT_TRUE(environ.ok());
    if (!environ->empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(environ->find(wanted), std::string::npos);
  EXPECT_EQ(poll_process(*child).state, ProcessState::kRunning);
  ASSERT_TRUE(stop_process(*child, 2000).ok());
  ProcessStatus status = poll_process(*child);
  EXPECT_EQ(status.state, ProcessState::kKilled);
  EXPECT_EQ(status.signal, SIGTERM);
}

TEST(Launcher, ReportsExitBeforeReadyWithLogTail) {
  TempDir temp_dir;
  const std::string dir = temp_dir.path();
  LaunchSpec spec;
  spec.argv = {"/bin/sh", "-c", "echo 'edgetier: error: cannot bind 10.77.0.2:50051' >&2; exit 2"};
  spec.log_path = dir + "/x.log";
  auto child = spawn_process(spec);
  ASSERT_TRUE(child.ok());
  auto ready = wait_for_ready(*child, spec.log_path, "READY", 10000);
  ASSERT_FALSE(ready.ok());
  EXPECT_NE(ready.status().message().find("exited with code 2"), std::string::npos)
      << ready.status().message();
  EXPECT_NE(ready.status().message().find("cannot bind 10.77.0.2:50051"), std::string::npos);
}

TEST(Launcher, TimesOutWithoutReadyAndHonoursCancel) {
  LaunchSpec spec;
  spec.argv = {"sleep", "30"};
  TempDir temp_dir;
  const std::string dir = temp_dir.path();
  spec.log_path = dir + "/x.log";
  auto child = spawn_process(spec);
  ASSERT_TRUE(child.ok());
  auto timeout = wait_for_ready(*child, spec.log_path, "READY", 100);
  EXPECT_EQ(timeout.status().code(), StatusCode::kDeadlineExceeded);
  auto cancelled = wait_for_ready(*child, spec.log_path, "READY", 10000, []() { return true; });
  EXPECT_EQ(cancelled.status().code(), StatusCode::kCancelled);
  ASSERT_TRUE(stop_process(*child, 1000).ok());
}

TEST(Launcher, FailsClearlyForMissingProgramAndCgroup) {
  LaunchSpec missing;
  missing.argv = {"/nonexistent/edgetier-serve"};
  auto child = spawn_process(missing);
  ASSERT_FALSE(child.ok());
  EXPECT_NE(child.status().message().find("/nonexistent/edgetier-serve"), std::string::npos);

  LaunchSpec bad_cgroup;
  bad_cgroup.argv = {"true"};
  bad_cgroup.cgroup_procs = {"/nonexistent-cgroup/cgroup.procs"};
  auto joined = spawn_process(bad_cgroup);
  ASSERT_FALSE(joined.ok());
  EXPECT_NE(joined.status().message().find("joining the cgroup failed"), std::string::npos)
      << joined.status().message();
}

TEST(Launcher, RecycledPidIsNotMistakenForTheProcess) {
  ProcessHandle self{::getpid(), process_start_ticks(::getpid())};
  EXPECT_EQ(poll_process(self).state, ProcessState::kRunning);
  ProcessHandle other_start{::getpid(), self.start_ticks + 12345};
  EXPECT_EQ(poll_process(other_start).state, ProcessState::kGone);
  EXPECT_TRUE(stop_process(other_start).ok());  // must not signal us
}

TEST(LauncherReal, ChildRunsInsideTheNamespace) {
  EDGETIER_REQUIRE_ROOT();
  std::string ns = netns_name(new_run_id(), "edge");
  testing::NetnsGuard guard{{ns}};
  ASSERT_TRUE(create_netns(ns).ok());
  TempDir temp_dir;
  const std::string dir = temp_dir.path();
  LaunchSpec spec;
  spec.argv = {"/bin/sh", "-c", "readlink /proc/self/ns/net; echo READY; exec sleep 30"};
  spec.netns = ns;
  spec.log_path = dir + "/x.log";
  auto child = spawn_process(spec);
  ASSERT_TRUE(child.ok()) << child.status().to_string();
  ASSERT_TRUE(wait_for_ready(*child, spec.log_path, "READY", 10000).ok());
  struct stat ns_stat {};
  ASSERT_EQ(::stat(netns_path(ns).c_str(), &ns_stat), 0);
  auto log = read_text_file(spec.log_path);
  ASSERT_TRUE(log.ok());
  EXPECT_NE(log->find("net:[" + std::to_string(ns_stat.st_ino) + "]"), std::string::npos) << *log;
  auto pids = netns_pids(ns);
  EXPECT_NE(std::find(pids.begin(), pids.end(), child->pid), pids.end());
  // Deleting the namespace kills what runs inside.
  ASSERT_TRUE(delete_netns(ns).ok());
  EXPECT_EQ(wait_process(*child, 3000).state, ProcessState::kKilled);
  auto names = list_netns();
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(std::find(names->begin(), names->end(), ns), names->end());
}

}  // namespace
}  // namespace edgetier::testbed
