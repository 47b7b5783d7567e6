/// The quick detector zoo: public detectors exported by scripts/export_torchvision.py
/// --detect-quick (torchvision ssdlite320 with NMS in the graph, YOLO-style raw heads at 128 px)
/// through `variants --ops I,Q,P --cut auto --task detect --verify` and `verify --task detect`.
/// The full set (ssdlite320, retinanet_resnet50_fpn at 320 px) is bench/bench_zoo.cpp --detect.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "test_util.h"

namespace edgetier {
namespace {

namespace fs = std::filesystem;

const std::string& detect_zoo_dir() {
  static const std::string dir = export_zoo("--detect-quick", "zoo-detect-quick");
  return dir;
}

class QuickDetectZoo : public ::testing::TestWithParam<std::string> {};

TEST_P(QuickDetectZoo, IQPBuildAndTheFloatModelAgainstItselfIs100) {
  const std::string& dir = detect_zoo_dir();
  ASSERT_FALSE(dir.empty()) << "scripts/export_torchvision.py --detect-quick failed (is Debian's "
                               "python3-torch installed?); see "
                            << fs::path(EDGETIER_BINARY).parent_path() / "zoo-detect-quick.log";
  const std::string model = dir + "/" + GetParam();
  ASSERT_TRUE(fs::exists(model)) << model;
  TempDir tmp;
  const CommandResult r =
      run_edgetier("variants " + model + " --ops I,Q,P --cut auto --task detect -o " +
                   tmp.path() + "/v --verify --verify-samples 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  std::set<std::string> built;
  for (const auto& row : nlohmann::json::parse(r.out)) {
    const std::string ops = row["ops"];
    ASSERT_TRUE(row["built"].get<bool>()) << ops << ": " << row.dump();
    built.insert(ops);
    const auto& v = row["verify"];
    ASSERT_FALSE(v.contains("error")) << ops << ": " << v.dump();
    EXPECT_EQ(v["task"], "detect") << v.dump();
    // Scored as mAP of the boxes against the float model's, in points.
    const double agree = v["agree_map"].get<double>();
    EXPECT_GE(agree, 0.0) << ops;
    EXPECT_LE(agree, 100.0) << ops;
    if (ops == "I" || ops == "P") {
      EXPECT_TRUE(v["bit_identical"].get<bool>()) << ops << ": " << v.dump();
      EXPECT_DOUBLE_EQ(agree, 100.0) << ops;
    }
  }
  EXPECT_EQ(built, (std::set<std::string>{"I", "Q", "P"}));

  // verify by itself on the images --verify used: the float model against itself is 100.
  const CommandResult synth =
      run_edgetier("data synth --task detect --count 2 --size 96 -o " + tmp.path() + "/synth");
  ASSERT_EQ(synth.exit_code, 0) << synth.err;
  const CommandResult v = run_edgetier("verify " + model + " " + tmp.path() +
                                       "/v/I --data " + tmp.path() + "/synth/images --labels " +
                                       tmp.path() + "/synth/instances.json --json");
  ASSERT_EQ(v.exit_code, 0) << v.err;
  const auto j = nlohmann::json::parse(v.out);
  EXPECT_DOUBLE_EQ(j["agree_map"].get<double>(), 100.0) << v.out;
  EXPECT_DOUBLE_EQ(j["map_loss"].get<double>(), 0.0) << v.out;
  EXPECT_GE(j["map"].get<double>(), 0.0) << v.out;
}

INSTANTIATE_TEST_SUITE_P(Detectors, QuickDetectZoo,
                         ::testing::Values("ssdlite320_mobilenet_v3_large-plain-op13-320px.onnx",
                                           "yolo_style_n-trained-op17-128px.onnx",
                                           "yolo_style_n-plain-op13-128px.onnx"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param.substr(0, info.param.find("-op"));
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
}  // namespace edgetier
