/// READY-line parsing and the child-process tier launcher.
#include "tier/local_tier.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <csignal>

#include "test_util.h"

namespace edgetier::tier {
namespace {

TEST(LocalTier, ParsesReadyLine) {
  auto ready =
      parse_ready_line("READY tier=edge listen=10.77.2.2:8001,unix:/run/x.sock pid=123 threads=2");
  ASSERT_TRUE(ready.ok()) << ready.status().to_string();
  EXPECT_EQ(ready->tier, "edge");
  ASSERT_EQ(ready->listen.size(), 2u);
  EXPECT_EQ(ready->listen[1], "unix:/run/x.sock");
  EXPECT_EQ(ready->pid, 123);
  EXPECT_EQ(ready->threads, 2);
  EXPECT_FALSE(parse_ready_line("hello").ok());
  EXPECT_FALSE(parse_ready_line("READY tier=x").ok());
}

TEST(LocalTier, StartsPrintsPortAndStopsOnSigterm) {
  TempDir dir;
  LocalTierOptions options;
  options.binary = EDGETIER_BINARY;
  options.tier = "mobile";
  options.listen = {"127.0.0.1:0", "unix:" + dir.file("m.sock")};
  options.log_path = dir.file("m.log");
  auto tier = LocalTier::start(options);
  ASSERT_TRUE(tier.ok()) << tier.status().to_string();
  ASSERT_EQ((*tier)->addresses().size(), 2u);
  EXPECT_EQ((*tier)->addresses()[0].rfind("127.0.0.1:", 0), 0u);
  EXPECT_NE((*tier)->addresses()[0], "127.0.0.1:0");  // the chosen port is printed
  EXPECT_TRUE((*tier)->running());
  (*tier)->signal(SIGTERM);
  auto status = (*tier)->wait_exit(5000);
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST(LocalTier, ReportsServerThatCannotStart) {
  TempDir dir;
  LocalTierOptions options;
  options.binary = EDGETIER_BINARY;
  options.tier = "bad.name";  // dots are not allowed in tier names
  options.log_path = dir.file("bad.log");
  auto tier = LocalTier::start(options);
  ASSERT_FALSE(tier.ok());
  EXPECT_EQ(tier.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(read_file(options.log_path).find("bad.name"), std::string::npos);
}

}  // namespace
}  // namespace edgetier::tier
