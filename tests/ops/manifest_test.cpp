/// Tests for ops/manifest and ops/variant_dir: strict JSON, atomic directories, integrity checks.
#include "ops/manifest.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/sha256.h"
#include "graph/fixtures.h"
#include "graph/model_io.h"
#include "ops/ops_test_util.h"
#include "ops/partition.h"
#include "ops/variant_dir.h"
#include "test_util.h"

namespace edgetier {
namespace {

namespace fs = std::filesystem;
using namespace edgetier::testing;

VariantManifest sample_manifest() {
  VariantManifest m;
  m.model_name = "tiny";
  m.source_model = "tiny.onnx";
  m.source_sha256 = std::string(64, 'a');
  m.task = "classify";
  m.ops = "QEP";
  m.chain = {{"Q", {{"calibration_table", "t.json"}}},
             {"EE", {{"from", "a"}, {"to", "b"}}},
             {"P", {{"cuts", {{"c"}}}}}};
  m.parts = {{"part0.onnx",
              {{"input", DType::kFloat32, {1, 3, 8, 8}}},
              {{"c", DType::kUInt8, {1, 4, 4, 4}}},
              768,
              64,
              "00"},
             {"part1.onnx",
              {{"c", DType::kUInt8, {1, 4, 4, 4}}},
              {{"out", DType::kFloat32, {1, 10}}},
              64,
              40,
              "11"}};
  m.cuts = {{0, {{"c", DType::kUInt8, {1, 4, 4, 4}}}, 64}};
  m.preprocess = PreprocessSpec::for_input("input", 8, 8);
  m.calibration = CalibrationRecord{"t.json", std::string(64, 'b')};
  m.exit_policy = std::nullopt;
  m.options_sha256 = std::string(64, 'c');
  return m;
}

TEST(Manifest, RoundTripsThroughJsonAndFiles) {
  const VariantManifest m = sample_manifest();
  TempDir tmp;
  const std::string dir = tmp.path();
  ASSERT_TRUE(write_manifest(dir, m).ok());
  auto back = read_manifest(dir);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(manifest_to_json(*back), manifest_to_json(m));
  EXPECT_EQ(back->parts[0].outputs[0].dtype, DType::kUInt8);
  EXPECT_EQ(back->cuts[0].bytes, 64);
  EXPECT_EQ(back->calibration->sha256, std::string(64, 'b'));
  EXPECT_FALSE(fs::exists(fs::path(dir) / "manifest.json.tmp"));
}

TEST(Manifest, CarriesADetectorsOutputBlockAndRequiresItForDetect) {
  VariantManifest m = sample_manifest();
  m.task = "detect";
  DetectionOutputs d;
  d.format = DetectionFormat::kBoxes;
  d.outputs = {"boxes", "scores", "labels"};
  d.label_space = LabelSpace::kCategoryId;
  m.detection = d;
  auto back = manifest_from_json(manifest_to_json(m));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  ASSERT_TRUE(back->detection.has_value());
  EXPECT_EQ(back->detection->outputs, d.outputs);
  EXPECT_EQ(back->detection->label_space, LabelSpace::kCategoryId);
  EXPECT_EQ(manifest_to_json(*back), manifest_to_json(m));
  // A classifier's manifest has no block (and older manifests still read).
  EXPECT_FALSE(manifest_to_json(sample_manifest()).contains("detection"));
  nlohmann::json j = manifest_to_json(m);
  j.erase("detection");
  auto missing = manifest_from_json(j);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("task detect without a 'detection' block"),
            std::string::npos)
      << missing.status().message();
  j = manifest_to_json(m);
  j["detection"]["format"] = "ssd";
  missing = manifest_from_json(j);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("detection.format"), std::string::npos)
      << missing.status().message();
}

TEST(Manifest, rejects_unknown_and_missing_keys_by_path) {
  auto j = manifest_to_json(sample_manifest());
  j["colour"] = "blue";
  EXPECT_NE(manifest_from_json(j).status().message().find("unknown key 'colour'"),
            std::string::npos);
  j = manifest_to_json(sample_manifest());
  j["parts"][1]["sha"] = "x";
  EXPECT_NE(manifest_from_json(j).status().message().find("unknown key 'parts[1].sha'"),
            std::string::npos);
  j = manifest_to_json(sample_manifest());
  j["parts"][0].erase("bytes_in");
  EXPECT_NE(manifest_from_json(j).status().message().find("missing key 'parts[0].bytes_in'"),
            std::string::npos);
  j = manifest_to_json(sample_manifest());
  j.erase("exit_policy");
  EXPECT_NE(manifest_from_json(j).status().message().find("missing key 'exit_policy'"),
            std::string::npos);
  j = manifest_to_json(sample_manifest());
  j["cuts"][0]["tensors"][0]["dtype"] = "float128";
  EXPECT_FALSE(manifest_from_json(j).ok());
  j = manifest_to_json(sample_manifest());
  j["parts"][0]["bytes_in"] = "many";
  EXPECT_NE(manifest_from_json(j).status().message().find(
                "manifest: parts[0].bytes_in: expected a whole number, got \"many\""),
            std::string::npos)
      << manifest_from_json(j).status().message();
  // Numbers that get<int64_t>() converted with undefined behaviour (the fuzzer's finding).
  j["parts"][0]["bytes_in"] = 1e300;
  EXPECT_NE(manifest_from_json(j).status().message().find(
                "manifest: parts[0].bytes_in: expected a whole number, got 1e+300"),
            std::string::npos)
      << manifest_from_json(j).status().message();
  j = manifest_to_json(sample_manifest());
  j["cuts"][0]["tensors"][0]["shape"][0] = 2.5;
  EXPECT_NE(manifest_from_json(j).status().message().find(
                "manifest: cuts[0].tensors[0].shape[0]: expected a whole number, got 2.5"),
            std::string::npos)
      << manifest_from_json(j).status().message();
  j = manifest_to_json(sample_manifest());
  j["parts"][0]["file"] = "../elsewhere.onnx";
  EXPECT_NE(manifest_from_json(j).status().message().find("plain file name"), std::string::npos);
  j = manifest_to_json(sample_manifest());
  j["task"] = "detect";
  EXPECT_FALSE(manifest_from_json(j).ok());
  j = manifest_to_json(sample_manifest());
  j["format_version"] = 99;
  EXPECT_NE(manifest_from_json(j).status().message().find("format_version 99"), std::string::npos);
}

TEST(Manifest, rejects_missing_or_corrupt_files) {
  TempDir tmp;
  const std::string dir = tmp.path();
  auto r = read_manifest(dir);
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("is '" + dir + "' a variant directory"), std::string::npos);
  std::ofstream(fs::path(dir) / "manifest.json") << "{ not json";
  EXPECT_EQ(read_manifest(dir).status().code(), StatusCode::kDataLoss);
}

TEST(Sha256, MatchesKnownDigests) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  TempDir tmp;
  const std::string dir = tmp.path();
  std::ofstream(fs::path(dir) / "f") << "abc";
  EXPECT_EQ(*sha256_file((fs::path(dir) / "f").string()), sha256_hex("abc"));
  EXPECT_EQ(sha256_file((fs::path(dir) / "none").string()).status().code(), StatusCode::kNotFound);
}

std::vector<onnx::ModelProto> two_parts() {
  std::vector<onnx::ModelProto> parts;
  EXPECT_TRUE(partition(fixtures::chain_model(), {{{"/Relu_0/Relu_output_0"}}}, &parts).ok());
  return parts;
}

TEST(VariantDir, WritesPartsAndADescribedManifestThatOpensAndRuns) {
  TempDir tmp;
  const std::string root = tmp.path();
  const std::string dir = root + "/P";
  VariantManifest m;
  m.model_name = "chain";
  m.ops = "P";
  ASSERT_TRUE(write_variant(dir, two_parts(), m).ok());
  auto back = read_manifest(dir);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  ASSERT_EQ(back->parts.size(), 2u);
  EXPECT_EQ(back->parts[0].file, "part0.onnx");
  EXPECT_EQ(back->parts[0].bytes_in, 3 * 16 * 16 * 4);
  EXPECT_EQ(back->parts[0].bytes_out, 8 * 16 * 16 * 4);
  EXPECT_EQ(back->parts[1].inputs[0].name, "/Relu_0/Relu_output_0");
  ASSERT_EQ(back->cuts.size(), 1u);
  EXPECT_EQ(back->cuts[0].bytes, 8 * 16 * 16 * 4);
  EXPECT_EQ(back->cuts[0].tensors[0].shape, (std::vector<int64_t>{1, 8, 16, 16}));
  EXPECT_EQ(back->parts[1].sha256, *sha256_file(dir + "/part1.onnx"));
  VariantManifest opened;
  auto runner = open_variant(dir, one_thread(), &opened);
  ASSERT_TRUE(runner.ok()) << runner.status().to_string();
  EXPECT_EQ(opened.ops, "P");
  EXPECT_TRUE((*runner)->run(random_inputs(fixtures::chain_model(), 1)).ok());
  // Only the variant directory remains (no temporary siblings).
  int entries = 0;
  for (const auto& e : fs::directory_iterator(root))
    entries += e.path().filename() == "P" ? 1 : 100;
  EXPECT_EQ(entries, 1);
}

TEST(VariantDir, rejects_parts_modified_after_writing) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/P";
  ASSERT_TRUE(write_variant(dir, two_parts(), VariantManifest{}).ok());
  std::ofstream(dir + "/part1.onnx", std::ios::app) << "x";
  auto runner = open_variant(dir, one_thread());
  EXPECT_EQ(runner.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(runner.status().message().find("does not match the sha256"), std::string::npos);
}

TEST(VariantDir, LeavesNothingBehindOnErrorAndKeepsTheOldVariant) {
  TempDir tmp;
  const std::string root = tmp.path();
  const std::string dir = root + "/P";
  // A failing fill leaves no directory at all.
  Status st = write_dir_atomically(dir, [](const std::string& tmp) {
    std::ofstream(tmp + "/part0.onnx") << "half";
    return resource_exhausted("disk full");
  });
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(fs::is_empty(root)) << "no partial output";
  // A good variant, then a failing rebuild: the good one stays untouched.
  ASSERT_TRUE(write_variant(dir, two_parts(), VariantManifest{}).ok());
  const std::string digest = *sha256_file(dir + "/manifest.json");
  st = write_dir_atomically(dir, [](const std::string&) { return internal_error("boom"); });
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(*sha256_file(dir + "/manifest.json"), digest);
  int entries = 0;
  for (const auto& e : fs::directory_iterator(root))
    entries += (e.path().filename() == "P") ? 1 : 100;
  EXPECT_EQ(entries, 1);
  // A successful rebuild replaces it.
  VariantManifest m;
  m.ops = "P2";
  ASSERT_TRUE(write_variant(dir, two_parts(), m).ok());
  EXPECT_EQ(read_manifest(dir)->ops, "P2");
}

TEST(VariantDir, rejects_replacing_a_directory_that_is_not_a_variant) {
  TempDir tmp;
  const std::string root = tmp.path();
  fs::create_directories(root + "/mine");
  std::ofstream(root + "/mine/notes.txt") << "keep me";
  Status st = write_variant(root + "/mine", two_parts(), VariantManifest{});
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(st.message().find("not a variant directory"), std::string::npos);
  EXPECT_TRUE(fs::exists(root + "/mine/notes.txt"));
  std::ofstream(root + "/file") << "x";
  EXPECT_EQ(write_variant(root + "/file", two_parts(), VariantManifest{}).code(),
            StatusCode::kAlreadyExists);
}

TEST(VariantDir, SourceManifestFillsTaskAndPreprocessing) {
  TempDir tmp;
  const std::string dir = tmp.path();
  ASSERT_TRUE(save_model(fixtures::tiny_resnet(), dir + "/tiny.onnx").ok());
  auto m = source_manifest(dir + "/tiny.onnx", fixtures::tiny_resnet(), "", {});
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m->model_name, "tiny");
  EXPECT_EQ(m->task, "classify");
  EXPECT_EQ(m->source_sha256, *sha256_file(dir + "/tiny.onnx"));
  ASSERT_TRUE(m->preprocess.has_value());
  EXPECT_EQ(m->preprocess->height, 32);
  EXPECT_EQ(m->preprocess->input_name, "input");
  EXPECT_FALSE(source_manifest(dir + "/tiny.onnx", fixtures::tiny_resnet(), "detect", {}).ok());
}

}  // namespace
}  // namespace edgetier
