/// The quick zoo: public torchvision architectures (exported by scripts/export_torchvision.py
/// --quick, 64 px, plain and trained-like initialisation, opsets 13 and 17) through `variants`
/// with the default options, and the quick detectors (--detect-quick) through `inspect` against
/// their sidecars. The full zoo is bench/bench_zoo.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "test_util.h"

namespace edgetier {
namespace {

namespace fs = std::filesystem;

const std::string& quick_zoo_dir() {
  static const std::string dir = export_zoo("--quick", "zoo-quick");
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

// The quick detector zoo (--detect-quick: torchvision SSDlite with NMS in the graph, YOLO-style
// raw heads): each loads in `edgetier inspect` with static feature shapes, and its sidecar's
// detection block and preprocessing match the graph.
class DetectQuickZoo : public ::testing::TestWithParam<std::string> {};

TEST_P(DetectQuickZoo, InspectsAndMatchesItsSidecar) {
  static const std::string dir = export_zoo("--detect-quick", "zoo-detect-quick");
  ASSERT_FALSE(dir.empty()) << "scripts/export_torchvision.py --detect-quick failed; see "
                            << fs::path(EDGETIER_BINARY).parent_path() / "zoo-detect-quick.log";
  const std::string model = dir + "/" + GetParam() + ".onnx";
  ASSERT_TRUE(fs::exists(model)) << model;
  std::ifstream in(dir + "/" + GetParam() + ".json");
  ASSERT_TRUE(in.good()) << GetParam() << ".json missing";
  const auto card = nlohmann::json::parse(in);
  EXPECT_EQ(card.at("task"), "detect");

  const CommandResult r = run_edgetier("inspect --json " + model);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto summary = nlohmann::json::parse(r.out);
  EXPECT_GT(summary.at("macs").get<double>(), 0) << "feature shapes must be static";
  const auto& input = summary.at("inputs").at(0);
  const auto& pre = card.at("preprocess");
  EXPECT_EQ(input.at("name"), pre.at("input_name"));
  EXPECT_EQ(input.at("shape"), nlohmann::json::array({1, 3, pre.at("height"), pre.at("width")}));

  // The graph's outputs are the ones the detection block names, in its order.
  const auto& det = card.at("detection");
  const auto& outputs = summary.at("outputs");
  ASSERT_EQ(outputs.size(), det.at("outputs").size());
  for (size_t i = 0; i < outputs.size(); ++i)
    EXPECT_EQ(outputs[i].at("name"), det.at("outputs")[i]);
  if (det.at("format") == "yolo") {
    // [1, 4 + C, A] with 4 + C < A: the channels-first layout the decoder tells apart.
    const auto& shape = outputs[0].at("shape");
    const int64_t channels = 4 + det.at("num_classes").get<int64_t>();
    EXPECT_EQ(shape[0], 1);
    EXPECT_EQ(shape[1], channels);
    EXPECT_GT(shape[2].get<int64_t>(), channels);
  } else {
    EXPECT_EQ(det.at("format"), "boxes");
    EXPECT_EQ(det.at("label_space"), "category_id");
    EXPECT_EQ(outputs[0].at("shape"), nlohmann::json::array({-1, 4}));  // N boxes after NMS
    EXPECT_EQ(outputs[1].at("shape"), nlohmann::json::array({-1}));
    EXPECT_EQ(outputs[2].at("dtype"), "int64");
    // torchvision normalises inside the graph: the sidecar only scales to [0, 1].
    EXPECT_EQ(pre.at("mean"), nlohmann::json::array({0.0, 0.0, 0.0}));
    EXPECT_EQ(pre.at("std"), nlohmann::json::array({1.0, 1.0, 1.0}));
  }
}

INSTANTIATE_TEST_SUITE_P(Public, DetectQuickZoo,
                         ::testing::Values("ssdlite320_mobilenet_v3_large-plain-op13-320px",
                                           "yolo_style_n-trained-op17-128px",
                                           "yolo_style_n-plain-op13-128px"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
}  // namespace edgetier
