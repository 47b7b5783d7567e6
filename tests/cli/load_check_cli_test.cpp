/// Every entry point that takes a model refuses one ONNX Runtime cannot run, in one line that
/// names the op, its domain and opset, before building or reporting anything (issue class 6).
#include <gtest/gtest.h>

#include <filesystem>

#include "graph/fixtures.h"
#include "graph/model_io.h"
#include "test_util.h"

namespace edgetier {
namespace {

namespace fs = std::filesystem;

int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

/// The commands that take a model, with the model at `m`, writing under `dir`.
std::vector<std::string> commands(const std::string& m, const TempDir& dir) {
  const std::string out = dir.file("out");
  return {
      "inspect " + m,
      "inspect " + m + " --json",
      "partition " + m + " --cut auto -o " + out,
      "quantize " + m + " --data " + dir.path() + " -o " + dir.file("q.onnx"),
      "early-exit " + m + " --skip-last 1 -o " + out,
      "variants " + m + " --ops I,P --cut auto -o " + out,
      "calibrate " + m + " --data " + dir.path() + " -o " + dir.file("table.json"),
      "verify " + m + " " + out + " --data " + dir.path(),
      "profile " + m + " -o " + dir.file("profile.json"),
  };
}

TEST(LoadCheckCli, EveryModelCommandNamesTheUnknownOp) {
  TempDir dir;
  const std::string m = dir.file("unknown.onnx");
  ASSERT_TRUE(save_model(fixtures::unknown_op_model(), m).ok());
  for (const auto& args : commands(m, dir)) {
    auto r = run_edgetier(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(count_lines(r.err), 1) << args << ": " << r.err;
    EXPECT_NE(r.err.find("model 'unknown.onnx' cannot run in ONNX Runtime"), std::string::npos)
        << args << ": " << r.err;
    EXPECT_NE(r.err.find("op 'FooBar' (domain 'ai.onnx', opset 17) is not supported"),
              std::string::npos)
        << args << ": " << r.err;
    // No MACs (or anything else) reported for a model that cannot run.
    EXPECT_EQ(r.out, "") << args;
    EXPECT_FALSE(fs::exists(dir.file("out"))) << args << " wrote output";
  }
}

TEST(LoadCheckCli, EveryModelCommandNamesTheUnsupportedOpset) {
  TempDir dir;
  const std::string m = dir.file("future.onnx");
  ASSERT_TRUE(save_model(fixtures::future_opset_model(), m).ok());
  for (const auto& args : commands(m, dir)) {
    auto r = run_edgetier(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(count_lines(r.err), 1) << args << ": " << r.err;
    EXPECT_NE(r.err.find("model 'future.onnx' cannot run in ONNX Runtime"), std::string::npos)
        << args << ": " << r.err;
    EXPECT_NE(r.err.find("opset 99"), std::string::npos) << args << ": " << r.err;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_FALSE(fs::exists(dir.file("out"))) << args << " wrote output";
  }
}

TEST(LoadCheckCli, RunPlanOnlyNamesTheUnknownOp) {
  TempDir dir;
  const std::string m = dir.file("unknown.onnx");
  ASSERT_TRUE(save_model(fixtures::unknown_op_model(), m).ok());
  write_file(dir.file("spec.yaml"), "name: unknown-op\n"
                                    "models:\n"
                                    "  - path: " + m + "\n"
                                    "data: {kind: synth, count: 4, size: 16, seed: 1}\n"
                                    "operators: [I, P]\n"
                                    "placements: [M, ME]\n");
  for (const std::string flags : {" --plan-only", ""}) {
    auto r = run_edgetier("run " + dir.file("spec.yaml") + " --out " + dir.file("results") + flags);
    EXPECT_NE(r.exit_code, 0) << flags;
    EXPECT_EQ(count_lines(r.err), 1) << flags << ": " << r.err;
    EXPECT_NE(r.err.find("op 'FooBar' (domain 'ai.onnx', opset 17) is not supported"),
              std::string::npos)
        << flags << ": " << r.err;
    EXPECT_EQ(r.out, "") << flags;
  }
}

}  // namespace
}  // namespace edgetier
