/// Writes the binary and JSON seed inputs of fuzz/corpus/ with the product's own writers (models
/// from the test fixtures, manifest, calibration table, .npy, images, KServe and control
/// requests), so the seeds are exactly what edgetier produces. Usage: fuzz_make_corpus <corpus-dir>.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "core/json_reader.h"
#include "graph/fixtures.h"
#include "graph/model_io.h"
#include "ops/calibrate.h"
#include "ops/manifest.h"
#include "proto/edgetier_control.pb.h"
#include "proto/grpc_predict_v2.pb.h"
#include "runtime/part_runner.h"
#include "runtime/preprocess.h"
#include "tier/protocol.h"

namespace {

using namespace edgetier;
namespace fs = std::filesystem;

fs::path g_root;

void put(const std::string& target, const std::string& name, const std::string& bytes) {
  const fs::path dir = g_root / target;
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + (dir / name).string());
}

template <typename T>
T must(Result<T> r) {
  if (!r.ok()) throw std::runtime_error(r.status().to_string());
  return std::move(r).value();
}

std::string serialized(const onnx::ModelProto& m) { return must(serialize_model(m)); }

void models() {
  put("model", "chain.onnx", serialized(fixtures::chain_model()));
  put("model", "residual.onnx", serialized(fixtures::residual_model()));
  put("model", "side_branch.onnx", serialized(fixtures::side_branch_model()));
  put("model", "unknown_op.onnx", serialized(fixtures::unknown_op_model()));
  put("model", "future_opset.onnx", serialized(fixtures::future_opset_model()));
  // The chain model with its largest initializer in the external file the target provides.
  onnx::ModelProto external = fixtures::chain_model();
  onnx::TensorProto* biggest = nullptr;
  for (auto& t : *external.mutable_graph()->mutable_initializer()) {
    if (!biggest || t.raw_data().size() > biggest->raw_data().size()) biggest = &t;
  }
  if (biggest && !biggest->raw_data().empty()) {
    const size_t length = biggest->raw_data().size();
    biggest->clear_raw_data();
    biggest->set_data_location(onnx::TensorProto::EXTERNAL);
    auto add = [&](const char* key, const std::string& value) {
      auto* e = biggest->add_external_data();
      e->set_key(key);
      e->set_value(value);
    };
    add("location", "model.onnx.data");
    add("offset", "0");
    add("length", std::to_string(length));
    put("model", "chain_external.onnx", serialized(external));
  }
  const std::string chain = serialized(fixtures::chain_model());
  put("model", "truncated.onnx", chain.substr(0, chain.size() / 2));
  put("model", "empty_graph.onnx", serialized(onnx::ModelProto()));
}

void manifests() {
  VariantManifest m;
  m.model_name = "tiny";
  m.source_model = "tiny.onnx";
  m.source_sha256 = std::string(64, 'a');
  m.task = "classify";
  m.ops = "QEP";
  m.chain = {{"Q", {{"calibration_table", "t.json"}}},
             {"EE", {{"from", "a"}, {"to", "b"}}},
             {"P", {{"cuts", {{"c"}}}}}};
  m.parts = {{"part0.onnx", {{"input", DType::kFloat32, {1, 3, 8, 8}}},
              {{"c", DType::kUInt8, {1, 4, 4, 4}}}, 768, 64, "00"},
             {"part1.onnx", {{"c", DType::kUInt8, {1, 4, 4, 4}}},
              {{"out", DType::kFloat32, {1, 10}}}, 64, 40, "11"}};
  m.cuts = {{0, {{"c", DType::kUInt8, {1, 4, 4, 4}}}, 64}};
  m.preprocess = PreprocessSpec::for_input("input", 8, 8);
  m.calibration = CalibrationRecord{"t.json", std::string(64, 'b')};
  m.options_sha256 = std::string(64, 'c');
  put("manifest", "qep.json", manifest_to_json(m).dump(2));
  m.ops = "I";
  m.chain.clear();
  m.parts.resize(1);
  m.cuts.clear();
  m.calibration.reset();
  m.preprocess.reset();
  m.exit_policy = ExitPolicy{0, "out", "max_softmax", 0.9};
  put("manifest", "identity_exit.json", manifest_to_json(m).dump());
}

void calibration_tables() {
  CalibrationTable t;
  t.method = "entropy";
  t.samples = 8;
  t.model_graph = "chain";
  t.tensors["input"] = {{-1.0f, 1.0f}, {-2.0f, 2.5f}};
  t.tensors["/conv_0/Conv_output_0"] = {{0.0f, 6.0f}, {0.0f, 7.25f}};
  put("calibration", "entropy.json", calibration_table_to_json(t).dump(2));
  t.method = "percentile";
  t.percentile = 99.99;
  t.tensors.erase("input");
  put("calibration", "percentile.json", calibration_table_to_json(t).dump());
}

std::string npy_bytes(const Tensor& t) {
  const fs::path path = g_root / "npy.tmp";
  if (!save_npy(t, path.string()).ok()) throw std::runtime_error("save_npy failed");
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::remove(path);
  return bytes;
}

void npys() {
  put("npy", "float32.npy", npy_bytes(Tensor::from_vector<float>("x", DType::kFloat32, {1, 3, 2, 2},
                                                                std::vector<float>(12, 0.5f))));
  put("npy", "uint8.npy", npy_bytes(Tensor::from_vector<uint8_t>("x", DType::kUInt8, {2, 3},
                                                                std::vector<uint8_t>(6, 7))));
  put("npy", "int64.npy", npy_bytes(Tensor::from_vector<int64_t>("x", DType::kInt64, {4}, {1, 2, 3, 4})));
  put("npy", "scalar_int32.npy", npy_bytes(Tensor::from_vector<int32_t>("x", DType::kInt32, {}, {42})));
}

std::string encode(const std::string& ext, const cv::Mat& image, const std::vector<int>& params = {}) {
  std::vector<uchar> bytes;
  if (!cv::imencode(ext, image, bytes, params)) throw std::runtime_error("imencode " + ext);
  return std::string(bytes.begin(), bytes.end());
}

std::vector<std::string> images() {
  cv::Mat colour(12, 16, CV_8UC3);
  for (int y = 0; y < colour.rows; ++y)
    for (int x = 0; x < colour.cols; ++x) colour.at<cv::Vec3b>(y, x) = {uchar(x * 16), uchar(y * 20), 128};
  cv::Mat grey(9, 7, CV_8UC1, cv::Scalar(100));
  cv::Mat deep(5, 6, CV_16UC3, cv::Scalar(1000, 20000, 65535));
  std::vector<std::string> out = {
      encode(".jpg", colour, {cv::IMWRITE_JPEG_QUALITY, 50}),
      encode(".jpg", colour, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}),
      encode(".jpg", grey),
      encode(".png", colour),
      encode(".png", grey),
      encode(".png", deep),
  };
  const char* names[] = {"colour.jpg", "progressive.jpg", "grey.jpg", "colour.png", "grey.png", "deep16.png"};
  for (size_t i = 0; i < out.size(); ++i) put("image", names[i], out[i]);
  // Headers that declare more than a tier accepts, or nothing at all.
  std::string huge_png = out[3];
  for (int i = 16; i < 24; ++i) huge_png[i] = i % 4 == 0 ? '\x00' : '\xff';
  put("image", "huge_declared.png", huge_png);
  put("image", "jpeg_no_frame.jpg", std::string("\xff\xd8\xff\xd9", 4));
  // An Exif APP1 after SOI: big-endian IFD0 with a Make string, then Orientation 6 (rotate).
  const std::string tiff("MM\x00\x2a\x00\x00\x00\x08\x00\x02"
                         "\x01\x0f\x00\x02\x00\x00\x00\x06\x00\x00\x00\x26"
                         "\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00"
                         "\x00\x00\x00\x00Canon\x00", 44);
  const std::string app1 = std::string("Exif\0\0", 6) + tiff;
  const std::string length{static_cast<char>((app1.size() + 2) >> 8), static_cast<char>((app1.size() + 2) & 0xff)};
  put("image", "exif_rotated.jpg", out[0].substr(0, 2) + "\xff\xe1" + length + app1 + out[0].substr(2));
  return out;
}

void infer_requests(const std::vector<std::string>& encoded_images) {
  inference::ModelInferRequest r;
  r.set_model_name("tiny");
  r.set_id("1");
  tier::add_raw_input(&r, Tensor::zeros("input", DType::kFloat32, {1, 3, 4, 4}));
  tier::add_raw_input(&r, Tensor::from_vector<int64_t>("ids", DType::kInt64, {1, 2}, {5, 6}));
  tier::add_raw_input(&r, Tensor::zeros("mask", DType::kUInt8, {2, 2}));
  auto* text = r.add_inputs();
  text->set_name("text");
  text->set_datatype("BYTES");
  text->add_shape(2);
  *r.add_raw_input_contents() = tier::pack_bytes({"ab", "cde"});
  tier::set_string_param(r.mutable_parameters(), std::string(tier::kHopsParam), "mobile");
  tier::set_int_param(r.mutable_parameters(), std::string(tier::kBytesIn), 1234);
  r.add_outputs()->set_name("logits");
  put("infer_request", "raw_inputs.pb", r.SerializeAsString());

  inference::ModelInferRequest typed;
  typed.set_model_name("tiny");
  auto* x = typed.add_inputs();
  x->set_name("x");
  x->set_datatype("FP32");
  x->add_shape(1);
  x->add_shape(3);
  for (float v : {1.0f, 2.0f, 3.0f}) x->mutable_contents()->add_fp32_contents(v);
  put("infer_request", "typed_contents.pb", typed.SerializeAsString());

  inference::ModelInferRequest image;
  image.set_model_name("tiny");
  tier::add_image_input(&image, "input", encoded_images[0]);
  put("infer_request", "image_jpeg.pb", image.SerializeAsString());
  inference::ModelInferRequest png;
  tier::add_image_input(&png, std::string(tier::kImageInputName), encoded_images[4]);
  put("infer_request", "image_png.pb", png.SerializeAsString());
}

void load_requests() {
  control::LoadModelRequest r;
  r.set_model_name("tiny");
  r.set_model_version("1");
  r.add_parts()->set_path("lower.onnx");
  r.add_parts()->set_bytes("upper");
  r.set_preprocess_json(preprocess_to_json(PreprocessSpec::for_input("input", 8, 8)).dump());
  r.set_skip_warmup(true);
  r.set_label("P@ME");
  put("load_request", "two_parts_image.pb", r.SerializeAsString());

  control::LoadModelRequest relay;
  relay.set_model_name("tiny");
  relay.set_next_hop("unix:/tmp/edgetier-fuzz-nonexistent.sock");
  relay.set_next_hop_name("edge");
  relay.set_deadline_ms(1000);
  relay.mutable_link()->set_rate_mbit(10);
  relay.mutable_link()->set_delay_ms(5);
  put("load_request", "relay.pb", relay.SerializeAsString());

  control::LoadModelRequest exit = r;
  exit.clear_preprocess_json();
  exit.mutable_parts()->RemoveLast();
  exit.set_exit_policy_json(exit_policy_to_json(ExitPolicy{0, "x", "max_softmax", 0.8}).dump());
  exit.set_next_hop("127.0.0.1:1");
  exit.add_forward_tensors("input");
  put("load_request", "exit_policy.pb", exit.SerializeAsString());

  control::LoadModelRequest one = r;
  one.mutable_parts()->RemoveLast();
  one.set_skip_warmup(false);
  put("load_request", "one_part_warm.pb", one.SerializeAsString());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " <corpus-dir>\n";
    return 2;
  }
  g_root = argv[1];
  try {
    models();
    manifests();
    calibration_tables();
    npys();
    infer_requests(images());
    load_requests();
  } catch (const std::exception& e) {
    std::cerr << "make_corpus: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
