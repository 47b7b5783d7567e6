/// The quick zoo: public torchvision architectures (exported by scripts/export_torchvision.py
/// --quick, 64 px, plain and trained-like initialisation, opsets 13 and 17) through `variants`
/// with the default options. The full zoo is bench/bench_zoo.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "test_util.h"

namespace edgetier {
namespace {

namespace fs = std::filesystem;

/// The exported models, made once per build folder. Python's torch comes from Debian's
/// python3-torch (make test-deps installs it); without it this fails rather than skips.
const std::string& quick_zoo_dir() {
  static const std::string dir = [] {
    const fs::path out = fs::path(EDGETIER_BINARY).parent_path() / "zoo-quick";
    const std::string cmd = "/usr/bin/python3 " + std::string(EDGETIER_SOURCE_DIR) +
                            "/scripts/export_torchvision.py --quick -o " + out.string() +
                            " > " + out.string() + ".log 2>&1";
    std::error_code ec;
    fs::create_directories(out, ec);
    if (std::system(cmd.c_str()) != 0) return std::string();
    return out.string();
  }();
  return dir;
}

struct QuickModel {
  std::string file;
  bool segment = false;
};

std::vector<QuickModel> quick_models() {
  return {{"resnet18-plain-op13-64px.onnx"},
          {"mobilenet_v2-trained-op17-64px.onnx"},
          {"shufflenet_v2_x0_5-plain-op17-64px.onnx"},
          {"squeezenet1_1-trained-op13-64px.onnx"},
          {"lraspp_mobilenet_v3_large-plain-op13-64px.onnx", true}};
}

class QuickZoo : public ::testing::TestWithParam<QuickModel> {};

TEST_P(QuickZoo, EveryDefaultChainBuildsAndVerifies) {
  const std::string& dir = quick_zoo_dir();
  ASSERT_FALSE(dir.empty()) << "scripts/export_torchvision.py --quick failed (is Debian's "
                               "python3-torch installed? `make test-deps` installs it); see "
                            << fs::path(EDGETIER_BINARY).parent_path() / "zoo-quick.log";
  const std::string model = dir + "/" + GetParam().file;
  ASSERT_TRUE(fs::exists(model)) << model;
  TempDir tmp;
  const CommandResult r = run_edgetier("variants " + model + " -o " + tmp.path() +
                                       "/v --verify --verify-samples 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = nlohmann::json::parse(r.out);
  std::set<std::string> built;
  for (const auto& row : rows) {
    const std::string ops = row["ops"];
    EXPECT_FALSE(row.contains("error")) << ops << ": " << row.dump();
    if (!row["built"].get<bool>()) continue;
    built.insert(ops);
    ASSERT_TRUE(row.contains("verify")) << ops;
    const auto& v = row["verify"];
    ASSERT_FALSE(v.contains("error")) << ops << ": " << v.dump();
    EXPECT_EQ(v["samples"], 3) << ops;
    EXPECT_TRUE(std::isfinite(v["max_abs_diff"].get<double>())) << ops;
    // Partitions are the float model split, bit for bit (graph rewrites off).
    if (ops == "P") EXPECT_TRUE(v["bit_identical"].get<bool>()) << v.dump();
    if (ops == "I") EXPECT_TRUE(v["bit_identical"].get<bool>()) << v.dump();
    // Scored with the model's task: agreement of classes, or mIoU of the class maps.
    EXPECT_GE(v[GetParam().segment ? "miou" : "top1_agreement"].get<double>(), 0.0) << v.dump();
  }
  // Every model of the quick zoo has a skippable region, so every standard chain builds.
  for (const char* ops : {"I", "Q", "EE", "QE", "P", "QP", "EEP", "QEP"})
    EXPECT_TRUE(built.count(ops)) << GetParam().file << ": " << ops << " not built: " << r.out;
}

INSTANTIATE_TEST_SUITE_P(Torchvision, QuickZoo, ::testing::ValuesIn(quick_models()),
                         [](const ::testing::TestParamInfo<QuickModel>& info) {
                           std::string name = info.param.file.substr(0, info.param.file.find('-'));
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
}  // namespace edgetier
