/// Tests for the environment recorded with each run.
#include "experiment/environment.h"

#include <gtest/gtest.h>

#include <thread>

namespace edgetier {
namespace {

TEST(Environment, RecordsTheMachineAndTheSoftware) {
  const nlohmann::json env = collect_environment();
  EXPECT_EQ(env["cores"].get<unsigned>(), std::thread::hardware_concurrency());
  EXPECT_NE(env["cpu_model"].get<std::string>(), "");
  EXPECT_EQ(env["kernel"].get<std::string>().rfind("Linux ", 0), 0u);
  EXPECT_EQ(env["ort_version"].get<std::string>().find('.') != std::string::npos, true);
  EXPECT_EQ(env["edgetier_version"], EDGETIER_VERSION);
  const std::string commit = env["git_commit"];
  EXPECT_TRUE(commit == "unknown" || commit.size() == 40) << commit;
}

}  // namespace
}  // namespace edgetier
