/// The quick detector zoo: public detectors exported by scripts/export_torchvision.py
/// --detect-quick (torchvision SSDlite with NMS in the graph, YOLO-style raw heads) load in
/// `edgetier inspect`, and each sidecar's detection block and preprocessing match the graph.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace edgetier {
namespace {

namespace fs = std::filesystem;

/// The exported detectors, made once per build folder (Debian's python3-torch, as the quick zoo).
const std::string& detect_quick_dir() {
  static const std::string dir = [] {
    const fs::path out = fs::path(EDGETIER_BINARY).parent_path() / "det-quick";
    const std::string cmd = "/usr/bin/python3 " + std::string(EDGETIER_SOURCE_DIR) +
                            "/scripts/export_torchvision.py --detect-quick -o " + out.string() +
                            " > " + out.string() + ".log 2>&1";
    std::error_code ec;
    fs::create_directories(out, ec);
    if (std::system(cmd.c_str()) != 0) return std::string();
    return out.string();
  }();
  return dir;
}

class DetectQuickZoo : public ::testing::TestWithParam<std::string> {};

TEST_P(DetectQuickZoo, InspectsAndMatchesItsSidecar) {
  const std::string& dir = detect_quick_dir();
  ASSERT_FALSE(dir.empty()) << "scripts/export_torchvision.py --detect-quick failed; see "
                            << fs::path(EDGETIER_BINARY).parent_path() / "det-quick.log";
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
