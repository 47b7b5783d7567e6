/// Experiment test helpers.
#include "experiment/test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <stdexcept>

#include "graph/builder.h"
#include "graph/model_io.h"

namespace fs = std::filesystem;

namespace edgetier::testing {

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "edgetier-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_text(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_image(const std::string& path, int width, int height, int seed) {
  fs::create_directories(fs::path(path).parent_path());
  cv::Mat img(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      img.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>((x * 7 + seed) & 255),
                                          static_cast<uint8_t>((y * 5 + seed * 3) & 255),
                                          static_cast<uint8_t>((x + y + seed) & 255));
    }
  }
  if (!cv::imwrite(path, img)) throw std::runtime_error("cannot write " + path);
}

void write_mask(const std::string& path, int width, int height, int classes) {
  fs::create_directories(fs::path(path).parent_path());
  cv::Mat mask(height, width, CV_8UC1);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x)
      mask.at<uint8_t>(y, x) = static_cast<uint8_t>((x + y) % classes);
  }
  if (!cv::imwrite(path, mask)) throw std::runtime_error("cannot write " + path);
}

void save(const onnx::ModelProto& model, const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  Status st = save_model(model, path);
  if (!st.ok()) throw std::runtime_error(st.to_string());
}

onnx::ModelProto segmenter_model(int64_t classes) {
  GraphBuilder b("segmenter");
  std::string x = b.input("input", {1, 3, 32, 32});
  x = b.relu(b.batch_norm(b.conv(x, {.out_channels = 8, .stride = 2})));
  x = b.residual_block(x, 8);
  x = b.residual_block(x, 8);
  x = b.conv(x, {.out_channels = classes, .kernel = 1});
  x = b.resize(x, 2.0f);
  b.output(x);
  auto model = b.build();
  if (!model.ok()) throw std::runtime_error(model.status().to_string());
  return *model;
}

onnx::ModelProto single_node_model() {
  GraphBuilder b("single");
  std::string x = b.input("input", {1, 3, 8, 8});
  b.output(b.flatten(x));
  auto model = b.build();
  if (!model.ok()) throw std::runtime_error(model.status().to_string());
  return *model;
}

CommandResult run_edgetier(const std::vector<std::string>& args) {
  TempDir tmp;
  std::string cmd = std::string("'") + EDGETIER_BINARY + "'";
  for (const auto& a : args) {
    std::string quoted = "'";
    for (char c : a) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    cmd += " " + quoted + "'";
  }
  cmd += " >'" + tmp / "out" + "' 2>'" + tmp / "err" + "'";
  const int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(tmp / "out");
  r.err = read_text(tmp / "err");
  return r;
}

}  // namespace edgetier::testing
