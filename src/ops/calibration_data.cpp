/// Calibration data folder reader: sorted listing, per-sample decoding, shape checks.
#include "ops/calibration_data.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "core/files.h"
#include "core/json_reader.h"

namespace edgetier {
namespace fs = std::filesystem;
namespace {

std::string lower_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext;
}

bool is_image_extension(const std::string& ext) {
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

bool shape_fits(const std::vector<int64_t>& want, const std::vector<int64_t>& got) {
  if (want.size() != got.size()) return false;
  for (size_t d = 0; d < want.size(); ++d) {
    if (want[d] >= 0 && want[d] != got[d]) return false;
  }
  return true;
}

}  // namespace

Result<CalibrationDataReader> CalibrationDataReader::open(const std::string& dir,
                                                          const TensorInfo& input,
                                                          const CalibrationDataOptions& options) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return not_found("data folder '" + dir + "' does not exist");
  if (!fs::is_directory(dir, ec))
    return invalid_argument("'" + dir + "' is not a folder; pass a folder of images or .npy files");
  CalibrationDataReader reader;
  reader.dir_ = dir;
  reader.input_ = input;
  std::vector<std::string> images, tensors;
  // A segmentation dataset (images/ + masks/): the masks are not inputs.
  std::string root = dir;
  if (fs::is_directory(fs::path(dir) / "images", ec) &&
      fs::is_directory(fs::path(dir) / "masks", ec)) {
    root = (fs::path(dir) / "images").string();
  }
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
  if (ec) return permission_denied("cannot list data folder '" + dir + "': " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return permission_denied("cannot list data folder '" + dir + "': " + ec.message());
    const fs::path& p = it->path();
    if (p.filename().string().rfind('.', 0) == 0) {  // hidden files and folders
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    const std::string ext = lower_extension(p);
    if (is_image_extension(ext))
      images.push_back(p.string());
    else if (ext == ".npy")
      tensors.push_back(p.string());
  }
  if (!images.empty() && !tensors.empty()) {
    return invalid_argument("data folder '" + dir + "' mixes " + std::to_string(images.size()) +
                            " images and " + std::to_string(tensors.size()) +
                            " .npy files; keep one kind per folder");
  }
  if (images.empty() && tensors.empty()) {
    return invalid_argument(
        "data folder '" + dir +
        "' has no samples: expected images (.jpg .jpeg .png .bmp) or .npy tensors");
  }
  reader.images_ = !images.empty();
  reader.files_ = reader.images_ ? std::move(images) : std::move(tensors);
  std::sort(reader.files_.begin(), reader.files_.end());
  RETURN_IF_ERROR(reader.finish(options));
  return reader;
}

Status CalibrationDataReader::finish(const CalibrationDataOptions& options) {
  const TensorInfo& input = input_;
  if (options.max_samples > 0 && static_cast<int64_t>(files_.size()) > options.max_samples) {
    files_.resize(static_cast<size_t>(options.max_samples));
  }
  if (!images_) return ok_status();
  if (options.preprocess) {
    spec_ = *options.preprocess;
    spec_.input_name = input.name;
  } else {
    const auto& s = input.shape;
    const bool nhwc = s.size() == 4 && s[3] == 3 && s[1] != 3;
    if (s.size() != 4) {
      return invalid_argument("model input '" + input.name + "' has shape " + shape_to_string(s) +
                              "; image folders need a 4-D image input (or pass .npy tensors)");
    }
    const int64_t h = nhwc ? s[1] : s[2];
    const int64_t w = nhwc ? s[2] : s[3];
    if (h <= 0 || w <= 0) {
      return invalid_argument("model input '" + input.name + "' has dynamic height/width (" +
                              shape_to_string(s) +
                              "); pass --preprocess '{\"height\": H, \"width\": W}'");
    }
    spec_ = PreprocessSpec::for_input(input.name, h, w);
    if (nhwc) spec_.layout = "NHWC";
    if (input.dtype == DType::kUInt8) spec_.dtype = DType::kUInt8;
  }
  return spec_.validate();
}

Result<CalibrationDataReader> CalibrationDataReader::from_files(
    std::vector<std::string> files, const TensorInfo& input,
    const CalibrationDataOptions& options) {
  if (files.empty()) return invalid_argument("no samples given");
  CalibrationDataReader reader;
  reader.input_ = input;
  reader.images_ = lower_extension(files[0]) != ".npy";
  for (const auto& f : files) {
    if ((lower_extension(f) != ".npy") != reader.images_) {
      return invalid_argument("sample list mixes images and .npy files ('" + files[0] + "', '" + f +
                              "'); keep one kind");
    }
  }
  reader.dir_ = fs::path(files[0]).parent_path().string();
  reader.files_ = std::move(files);
  RETURN_IF_ERROR(reader.finish(options));
  return reader;
}

std::string CalibrationDataReader::relative_name(size_t index) const {
  std::error_code ec;
  auto rel = fs::relative(files_[index], dir_, ec);
  return ec ? files_[index] : rel.string();
}

Result<Tensor> CalibrationDataReader::read(size_t index, ImageToInput* geometry) const {
  if (index >= files_.size())
    return out_of_range("sample " + std::to_string(index) + " of " + std::to_string(files_.size()));
  const std::string& path = files_[index];
  Tensor t;
  if (images_) {
    ASSIGN_OR_RETURN(std::string bytes, read_file_bytes(path));
    auto image = decode_and_preprocess(bytes, spec_, geometry);
    if (!image.ok()) return image.status().with_context(path);
    t = std::move(image).value();
  } else {
    ASSIGN_OR_RETURN(t, load_npy(path, input_.name));
  }
  t.name = input_.name;
  // A single sample saved without its batch dimension.
  if (t.shape.size() + 1 == input_.shape.size() && (input_.shape[0] == 1 || input_.shape[0] < 0)) {
    t.shape.insert(t.shape.begin(), 1);
  }
  if (t.dtype != input_.dtype) {
    return invalid_argument(path + ": holds " + std::string(dtype_name(t.dtype)) +
                            " but model input '" + input_.name + "' expects " +
                            std::string(dtype_name(input_.dtype)));
  }
  if (!shape_fits(input_.shape, t.shape)) {
    return invalid_argument(path + ": shape " + shape_to_string(t.shape) +
                            " does not fit model input '" + input_.name + "' " +
                            shape_to_string(input_.shape) +
                            (images_ ? "; adjust --preprocess height/width/layout" : ""));
  }
  if (geometry && !images_) {
    // A tensor has no image behind it: boxes stay in its own pixels.
    const bool nhwc = spec_.layout == "NHWC" && t.shape.size() == 4;
    *geometry = ImageToInput{};
    if (t.shape.size() == 4) {
      geometry->image_height = t.shape[nhwc ? 1 : 2];
      geometry->image_width = t.shape[nhwc ? 2 : 3];
    }
  }
  return t;
}

}  // namespace edgetier
