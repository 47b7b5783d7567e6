/// Helpers for the experiment tests: temporary folders, files, fixture images and models, and
/// running the edgetier binary.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace edgetier::testing {

/// A fresh folder under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

/// Writes `text` to `path`, creating parent folders.
void write_text(const std::string& path, const std::string& text);
std::string read_text(const std::string& path);
/// Writes a width x height 3-channel PNG (or .jpg/.bmp by extension) with a seeded pattern.
void write_image(const std::string& path, int width, int height, int seed = 0);
/// Writes a single-channel 8-bit PNG whose pixels are (x + y) % classes.
void write_mask(const std::string& path, int width, int height, int classes);
/// Saves a model (creating parent folders).
void save(const onnx::ModelProto& model, const std::string& path);

/// A 32x32 segmentation fixture: stem conv, two residual blocks, a 1x1 head to `classes`
/// channels, upsampled back to [1, classes, 32, 32].
onnx::ModelProto segmenter_model(int64_t classes = 5);
/// A one-node model (Flatten of an 8x8 image into 192 "classes"): it has no cut at all.
onnx::ModelProto single_node_model();

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
/// Runs the edgetier binary with `args` (shell-quoted here) and captures its output.
CommandResult run_edgetier(const std::vector<std::string>& args);

}  // namespace edgetier::testing
