/// Tests for `edgetier inspect`: JSON shape and one-line errors on bad input.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "graph/fixtures.h"
#include "graph/model_io.h"
#include "test_util.h"

namespace edgetier {
namespace {

int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

TEST(InspectCli, PrintsTheDocumentedJson) {
  TempDir dir;
  ASSERT_TRUE(save_model(fixtures::tiny_resnet(), dir.file("m.onnx")).ok());
  auto r = run_edgetier("inspect " + dir.file("m.onnx") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"inputs", "outputs", "nodes", "params", "macs", "ops", "cuts", "skips"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["inputs"][0]["name"], "input");
  EXPECT_EQ(j["inputs"][0]["shape"], (std::vector<int64_t>{1, 3, 32, 32}));
  EXPECT_GT(j["params"].get<int64_t>(), 0);
  EXPECT_GT(j["macs"].get<int64_t>(), 0);
  EXPECT_EQ(j["ops"]["Add"], 8);
  ASSERT_FALSE(j["cuts"].empty());
  for (const auto& cut : j["cuts"]) {
    EXPECT_GT(cut["bytes"].get<int64_t>(), 0);
    EXPECT_TRUE(cut.contains("flops_before"));
    EXPECT_TRUE(cut.contains("flops_after"));
  }
  ASSERT_FALSE(j["skips"].empty());
  EXPECT_TRUE(j["skips"][0].contains("from"));
  EXPECT_TRUE(j["skips"][0].contains("nodes"));
}

TEST(InspectCli, EndsWithTheOperatorsThatApply) {
  TempDir dir;
  ASSERT_TRUE(save_model(fixtures::tiny_resnet(), dir.file("res.onnx")).ok());
  ASSERT_TRUE(save_model(fixtures::chain_model(), dir.file("chain.onnx")).ok());
  auto res = run_edgetier("inspect " + dir.file("res.onnx"));
  ASSERT_EQ(res.exit_code, 0) << res.err;
  const size_t ops = res.out.find("operators (the experiment's defaults):");
  ASSERT_NE(ops, std::string::npos) << res.out;
  const std::string tail = res.out.substr(ops);
  for (const char* line : {"  Q   applies: ", "  P   applies: cut {", "  EE  applies: exit ",
                           "  DEE applies: "}) {
    EXPECT_NE(tail.find(line), std::string::npos) << line << "\n" << tail;
  }
  auto chain = run_edgetier("inspect " + dir.file("chain.onnx"));
  ASSERT_EQ(chain.exit_code, 0) << chain.err;
  EXPECT_NE(chain.out.find("  EE  does not apply: the model has no skippable region"),
            std::string::npos)
      << chain.out;
  EXPECT_NE(chain.out.find("  DEE does not apply: the model has no skippable region"),
            std::string::npos);
  auto json = run_edgetier("inspect " + dir.file("chain.onnx") + " --json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto j = nlohmann::json::parse(json.out);
  ASSERT_EQ(j["operators"].size(), 4u);
  EXPECT_EQ(j["operators"][0]["op"], "Q");
  EXPECT_TRUE(j["operators"][0]["applies"].get<bool>());
  EXPECT_EQ(j["operators"][2]["op"], "EE");
  EXPECT_FALSE(j["operators"][2]["applies"].get<bool>());
  EXPECT_NE(j["operators"][2]["reason"].get<std::string>().find("no skippable region"),
            std::string::npos);
}

TEST(InspectCli, AcceptsAnInputShape) {
  TempDir dir;
  ASSERT_TRUE(save_model(fixtures::chain_model(), dir.file("m.onnx")).ok());
  auto r = run_edgetier("inspect " + dir.file("m.onnx") + " --input-shape input=1x3x16x16");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("cuts"), std::string::npos);
}

TEST(InspectCli, RejectsBadInputWithOneClearLine) {
  TempDir dir;
  ASSERT_TRUE(save_model(fixtures::chain_model(), dir.file("m.onnx")).ok());
  const std::string bytes = read_file(dir.file("m.onnx"));
  write_file(dir.file("corrupt.onnx"), bytes.substr(0, bytes.size() / 3));
  struct Case {
    std::string args;
    std::string expect;
  } cases[] = {
      {"inspect " + dir.file("missing.onnx"), "does not exist"},
      {"inspect " + dir.file("corrupt.onnx"), "truncated or corrupt"},
      {"inspect " + dir.file("m.onnx") + " --input-shape inptu=1x3x16x16", "nearest: 'input'"},
      {"inspect " + dir.file("m.onnx") + " --input-shape input=1x3x16", "rank"},
      {"inspect " + dir.file("m.onnx") + " --input-shape input=axb", "positive integer"},
  };
  for (const auto& c : cases) {
    auto r = run_edgetier(c.args);
    EXPECT_NE(r.exit_code, 0) << c.args;
    EXPECT_LT(r.exit_code, 128) << "crashed: " << c.args;
    EXPECT_EQ(count_lines(r.err), 1) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.args << "\n" << r.err;
  }
}

TEST(Cli, SuggestsTheNearestCommandOnATypo) {
  auto r = run_edgetier("inspcet x.onnx");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean 'inspect'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace edgetier
