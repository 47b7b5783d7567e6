/// Dataset listing and validation (folder + labels.csv, class folders, segmentation pairs).
#include "experiment/datasets.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>

#include "core/csv.h"
#include "core/log.h"
#include "core/strings.h"
#include "experiment/synth.h"

namespace fs = std::filesystem;

namespace edgetier {
namespace {

std::string normal(const fs::path& p) { return fs::absolute(p).lexically_normal().string(); }

/// "a.png, b.png, c.png and 12 more".
std::string name_some(const std::vector<std::string>& names, const std::string& root) {
  std::string out;
  const size_t shown = std::min<size_t>(names.size(), 5);
  for (size_t i = 0; i < shown; ++i) {
    std::string n = names[i];
    if (!root.empty() && n.rfind(root + "/", 0) == 0) n = n.substr(root.size() + 1);
    out += (i ? ", " : "") + n;
  }
  if (names.size() > shown) out += " and " + std::to_string(names.size() - shown) + " more";
  return out;
}

Status check_folder(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return not_found(what + " '" + path + "' does not exist");
  if (!fs::is_directory(path, ec))
    return invalid_argument(what + " '" + path + "' is not a folder");
  return ok_status();
}

/// Entries directly in `dir` (no exceptions: unreadable entries are skipped).
std::vector<fs::directory_entry> entries_of(const std::string& dir) {
  std::vector<fs::directory_entry> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    out.push_back(*it);
  return out;
}

/// Image files under `dir`, recursively, sorted, skipping the `exclude` subtrees.
std::vector<std::string> list_images(const std::string& dir,
                                     const std::set<std::string>& exclude = {}) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_directory(type_ec) && exclude.count(normal(it->path()))) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(type_ec) && is_image_file(it->path().string())) {
      out.push_back(normal(it->path()));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status no_images_error(const std::string& dir) {
  return invalid_argument("data folder '" + dir + "' has no images (.jpg, .jpeg, .png, .bmp)");
}

/// The class list for a folder: its classes file when present, else the model's.
Result<std::vector<std::string>> folder_classes(const DataSpec& spec,
                                                const DatasetOptions& options) {
  if (!spec.classes.empty()) {
    const std::string path = normal(fs::path(spec.path) / spec.classes);
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) return read_class_names(path);
  }
  return options.model_classes;
}

Result<Dataset> load_labeled_folder(const DataSpec& spec, const DatasetOptions& options) {
  Dataset d;
  d.kind = DataKind::kFolder;
  d.root = spec.path;
  ASSIGN_OR_RETURN(d.classes, folder_classes(spec, options));
  d.num_classes = static_cast<int64_t>(d.classes.size());
  const std::string labels_path = normal(fs::path(spec.path) / spec.labels);
  std::ifstream in(labels_path);
  if (!in)
    return not_found("label file '" + labels_path +
                     "' does not exist (expected a CSV with header 'file,label')");
  CsvReader reader(in, labels_path);
  std::vector<std::string> fields;
  Status read_status;
  int file_col = -1, label_col = -1;
  std::map<std::string, int> seen;  // image -> line number
  std::vector<std::string> missing;
  std::map<std::string, int> name_to_index;
  for (size_t i = 0; i < d.classes.size(); ++i) name_to_index[d.classes[i]] = static_cast<int>(i);
  while (reader.next(&fields, &read_status)) {
    const int line_no = reader.line();
    const std::string line = join(fields, ",");
    const std::string where = labels_path + ":" + std::to_string(line_no);
    if (file_col < 0) {
      for (size_t i = 0; i < fields.size(); ++i) {
        if (lower(fields[i]) == "file") file_col = static_cast<int>(i);
        if (lower(fields[i]) == "label") label_col = static_cast<int>(i);
      }
      if (file_col < 0 || label_col < 0) {
        return invalid_argument(where + ": expected the header 'file,label', got '" + line + "'");
      }
      continue;
    }
    if (static_cast<int>(fields.size()) <= std::max(file_col, label_col)) {
      return invalid_argument(where + ": expected " +
                              std::to_string(std::max(file_col, label_col) + 1) +
                              " columns, got '" + line + "'");
    }
    const std::string& file = fields[file_col];
    const std::string& label = fields[label_col];
    if (file.empty()) return invalid_argument(where + ": empty file name");
    const std::string image = normal(fs::path(spec.path) / file);
    if (auto [it, fresh] = seen.emplace(image, line_no); !fresh) {
      return invalid_argument(where + ": '" + file + "' is already labelled on line " +
                              std::to_string(it->second));
    }
    Sample s;
    s.image_path = image;
    const bool numeric = !label.empty() && std::all_of(label.begin(), label.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) || c == '-';
    });
    if (numeric) {
      try {
        s.label = std::stoll(label);
      } catch (const std::exception&) {
        return invalid_argument(where + ": label '" + label + "' is not a class index");
      }
      if (s.label < 0) return invalid_argument(where + ": label " + label + " is negative");
      if (d.num_classes > 0 && s.label >= d.num_classes) {
        return invalid_argument(where + ": label " + label + " is out of range: there are " +
                                std::to_string(d.num_classes) + " classes");
      }
    } else {
      if (d.classes.empty()) {
        return invalid_argument(where + ": label '" + label + "' is a class name but there is no " +
                                spec.classes + " in '" + spec.path +
                                "' (one class name per line) to turn names into indices");
      }
      auto it = name_to_index.find(label);
      if (it == name_to_index.end()) {
        return invalid_argument(where + ": unknown class '" + label + "'; did you mean '" +
                                nearest_name(label, d.classes) + "'?");
      }
      s.label = it->second;
    }
    std::error_code ec;
    if (!fs::is_regular_file(image, ec)) missing.push_back(image);
    d.samples.push_back(std::move(s));
  }
  RETURN_IF_ERROR(read_status);
  if (file_col < 0)
    return invalid_argument("label file '" + labels_path +
                            "' is empty (expected the header 'file,label')");
  const std::set<std::string> exclude = {normal(fs::path(spec.path) / spec.masks)};
  const auto images = list_images(spec.path, exclude);
  std::vector<std::string> unlabeled;
  for (const auto& img : images) {
    if (!seen.count(img)) unlabeled.push_back(img);
  }
  if (!missing.empty() || !unlabeled.empty()) {
    std::string msg =
        "label file '" + labels_path + "' does not match the images in '" + spec.path + "':";
    if (!missing.empty()) {
      msg += " " + std::to_string(missing.size()) + " listed file(s) do not exist (" +
             name_some(missing, spec.path) + ")";
    }
    if (!unlabeled.empty()) {
      msg += std::string(missing.empty() ? "" : ";") + " " + std::to_string(unlabeled.size()) +
             " image(s) have no label (" + name_some(unlabeled, spec.path) + ")";
    }
    return invalid_argument(msg + "; fix the label file or remove the extra images");
  }
  if (d.samples.empty())
    return invalid_argument("label file '" + labels_path + "' lists no images");
  return d;
}

Result<Dataset> load_imagenet_folder(const DataSpec& spec, const DatasetOptions& options) {
  Dataset d;
  d.kind = DataKind::kImagenet;
  d.root = spec.path;
  std::vector<std::string> dirs;
  std::error_code ec;
  for (const auto& e : entries_of(spec.path)) {
    if (e.is_directory(ec)) dirs.push_back(e.path().filename().string());
  }
  std::sort(dirs.begin(), dirs.end());
  if (dirs.empty())
    return invalid_argument("data folder '" + spec.path + "' has no class subfolders");
  // torchvision's ImageFolder order (sorted folder names) unless classes.txt fixes the order.
  const std::string classes_path = normal(fs::path(spec.path) / spec.classes);
  if (!spec.classes.empty() && fs::is_regular_file(classes_path, ec)) {
    ASSIGN_OR_RETURN(d.classes, read_class_names(classes_path));
    for (const auto& dir : dirs) {
      if (std::find(d.classes.begin(), d.classes.end(), dir) == d.classes.end()) {
        return invalid_argument("class folder '" + dir + "' is not listed in '" + classes_path +
                                "'; did you mean '" + nearest_name(dir, d.classes) + "'?");
      }
    }
  } else {
    d.classes = dirs;
  }
  d.num_classes = static_cast<int64_t>(d.classes.size());
  for (const auto& dir : dirs) {
    const int64_t label = std::find(d.classes.begin(), d.classes.end(), dir) - d.classes.begin();
    const auto images = list_images(normal(fs::path(spec.path) / dir));
    if (images.empty()) {
      LOG_WARN << "class folder '" << dir << "' in '" << spec.path << "' has no images";
    }
    for (const auto& img : images) d.samples.push_back({img, label, ""});
  }
  if (d.samples.empty()) return no_images_error(spec.path);
  (void)options;
  return d;
}

Result<Dataset> load_segmentation(const DataSpec& spec) {
  Dataset d;
  d.kind = DataKind::kSegmentation;
  d.root = spec.path;
  d.ignore_index = spec.ignore_index;
  const std::string images_dir = normal(fs::path(spec.path) / spec.images);
  const std::string masks_dir = normal(fs::path(spec.path) / spec.masks);
  RETURN_IF_ERROR(check_folder(images_dir, "segmentation image folder"));
  RETURN_IF_ERROR(check_folder(masks_dir, "segmentation mask folder"));
  std::error_code ec;
  const std::string classes_path = normal(fs::path(spec.path) / spec.classes);
  if (!spec.classes.empty() && fs::is_regular_file(classes_path, ec)) {
    ASSIGN_OR_RETURN(d.classes, read_class_names(classes_path));
  }
  d.num_classes = static_cast<int64_t>(d.classes.size());
  if (spec.num_classes > 0) {
    if (d.num_classes > 0 && d.num_classes != spec.num_classes) {
      return invalid_argument("num_classes is " + std::to_string(spec.num_classes) + " but '" +
                              classes_path + "' lists " + std::to_string(d.num_classes) +
                              " classes");
    }
    d.num_classes = spec.num_classes;
  }
  const auto images = list_images(images_dir);
  if (images.empty()) return no_images_error(images_dir);
  std::vector<std::string> no_mask, bad_size;
  for (const auto& img : images) {
    const fs::path rel = fs::path(img).lexically_relative(images_dir);
    fs::path mask = fs::path(masks_dir) / rel;
    mask.replace_extension(".png");
    if (!fs::is_regular_file(mask, ec)) {
      no_mask.push_back(img);
      continue;
    }
    ASSIGN_OR_RETURN(ImageSize isz, read_image_size(img));
    ASSIGN_OR_RETURN(ImageSize msz, read_image_size(mask.string()));
    if (isz.width != msz.width || isz.height != msz.height) {
      bad_size.push_back(rel.string() + " (image " + std::to_string(isz.width) + "x" +
                         std::to_string(isz.height) + ", mask " + std::to_string(msz.width) + "x" +
                         std::to_string(msz.height) + ")");
    }
    d.samples.push_back({img, -1, normal(mask)});
  }
  if (!no_mask.empty()) {
    return invalid_argument(std::to_string(no_mask.size()) + " image(s) in '" + images_dir +
                            "' have no mask in '" + masks_dir +
                            "' (expected <name>.png): " + name_some(no_mask, images_dir));
  }
  if (!bad_size.empty()) {
    return invalid_argument(std::to_string(bad_size.size()) + " mask(s) in '" + masks_dir +
                            "' differ in size from their image: " + name_some(bad_size, ""));
  }
  return d;
}

/// A seeded subset (splitmix64 Fisher-Yates, identical on every platform), then path order.
void apply_limit(Dataset* d, int64_t limit, uint64_t seed) {
  const size_t n = d->samples.size();
  if (limit <= 0 || static_cast<size_t>(limit) >= n) return;
  uint64_t state = seed;
  auto next = [&state]() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  for (size_t i = 0; i < static_cast<size_t>(limit); ++i) {
    const size_t j = i + static_cast<size_t>(next() % (n - i));
    std::swap(d->samples[i], d->samples[j]);
  }
  d->samples.resize(static_cast<size_t>(limit));
  std::sort(d->samples.begin(), d->samples.end(),
            [](const Sample& a, const Sample& b) { return a.image_path < b.image_path; });
}

uint32_t be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
uint16_t be16(const unsigned char* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
int32_t le32(const unsigned char* p) {
  return static_cast<int32_t>(uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) |
                              (uint32_t{p[3]} << 24));
}

}  // namespace

bool is_image_file(const std::string& path) {
  const std::string ext = lower(fs::path(path).extension().string());
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

Result<std::vector<std::string>> read_class_names(const std::string& path) {
  std::ifstream in(path);
  if (!in) return not_found("class file '" + path + "' cannot be opened");
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    names.push_back(line);
  }
  if (names.empty()) return invalid_argument("class file '" + path + "' lists no classes");
  return names;
}

Result<DataKind> resolve_data_kind(const DataSpec& spec) {
  if (spec.kind != DataKind::kAuto) return spec.kind;
  RETURN_IF_ERROR(check_folder(spec.path, "data folder"));
  std::error_code ec;
  const fs::path root(spec.path);
  if (fs::is_regular_file(root / spec.labels, ec)) return DataKind::kFolder;
  if (fs::is_directory(root / spec.images, ec) && fs::is_directory(root / spec.masks, ec)) {
    return DataKind::kSegmentation;
  }
  if (fs::is_regular_file(root / spec.annotations, ec)) return DataKind::kCoco;
  if (fs::is_directory(root / spec.images, ec) && fs::is_directory(root / "labels", ec)) {
    return DataKind::kYolo;
  }
  bool has_dirs = false, has_loose_images = false;
  for (const auto& e : entries_of(root.string())) {
    if (e.is_directory(ec)) has_dirs = true;
    if (e.is_regular_file(ec) && is_image_file(e.path().string())) has_loose_images = true;
  }
  if (has_dirs && !has_loose_images) return DataKind::kImagenet;
  return DataKind::kUnlabeled;
}

Result<Dataset> load_dataset(const DataSpec& spec, const DatasetOptions& options) {
  if (spec.kind == DataKind::kSynth) {
    return failed_precondition(
        "synth data must be generated before it is loaded (see synth_data_dir)");
  }
  RETURN_IF_ERROR(check_folder(spec.path, "data folder"));
  ASSIGN_OR_RETURN(DataKind kind, resolve_data_kind(spec));
  Result<Dataset> d = internal_error("unhandled data kind");
  switch (kind) {
    case DataKind::kFolder: d = load_labeled_folder(spec, options); break;
    case DataKind::kImagenet: d = load_imagenet_folder(spec, options); break;
    case DataKind::kSegmentation: d = load_segmentation(spec); break;
    case DataKind::kCoco:
    case DataKind::kYolo: d = load_detection_data(spec, kind); break;
    case DataKind::kUnlabeled: {
      Dataset u;
      u.kind = DataKind::kUnlabeled;
      u.root = spec.path;
      for (auto& img : list_images(spec.path)) u.samples.push_back({img, -1, ""});
      if (u.samples.empty()) return no_images_error(spec.path);
      d = std::move(u);
      break;
    }
    default: break;
  }
  if (!d.ok()) return d.status();
  apply_limit(&*d, spec.limit, options.seed);
  return d;
}

std::string synth_data_dir(const DataSpec& spec, Task task, const std::string& cache_dir) {
  return normal(fs::path(cache_dir) /
                ("synth-" + std::string(task_name(task)) + "-n" + std::to_string(spec.synth_count) +
                 "-s" + std::to_string(spec.synth_size) + "-seed" +
                 std::to_string(spec.synth_seed)));
}

DataSpec synth_as_folder_spec(const DataSpec& spec, Task task, const std::string& dir,
                              int64_t model_classes) {
  DataSpec out = spec;
  out.path = dir;
  const int64_t synth_classes = task == Task::kSegment ? kSynthNumClasses + 1 : kSynthNumClasses;
  if (model_classes > 0 && model_classes != synth_classes) {
    out.kind = DataKind::kUnlabeled;
    out.path = (std::filesystem::path(dir) / "images").string();
    return out;
  }
  if (task == Task::kDetect) {
    out.kind = DataKind::kCoco;
    out.annotations = "instances.json";
    out.images = "images";
    return out;
  }
  out.kind = task == Task::kClassify ? DataKind::kFolder : DataKind::kSegmentation;
  out.labels = "labels.csv";
  out.classes = "classes.txt";
  out.images = "images";
  out.masks = "masks";
  return out;
}

std::vector<Sample> latency_inputs(const Dataset& data, int64_t count) {
  std::vector<Sample> out;
  if (data.samples.empty() || count <= 0) return out;
  out.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i)
    out.push_back(data.samples[static_cast<size_t>(i) % data.samples.size()]);
  return out;
}

Result<ImageSize> read_image_size(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot open image '" + path + "'");
  unsigned char head[32] = {};
  in.read(reinterpret_cast<char*>(head), sizeof(head));
  const auto got = in.gcount();
  static const unsigned char kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (got >= 24 && std::equal(head, head + 8, kPng)) {
    return ImageSize{be32(head + 16), be32(head + 20)};
  }
  if (got >= 26 && head[0] == 'B' && head[1] == 'M') {
    return ImageSize{std::abs(le32(head + 18)), std::abs(le32(head + 22))};
  }
  if (got >= 4 && head[0] == 0xFF && head[1] == 0xD8) {
    // Walk the JPEG markers to the first start-of-frame (SOF0..SOF15 except DHT, JPG, DAC).
    in.clear();
    in.seekg(2);
    unsigned char m[9];
    while (in.read(reinterpret_cast<char*>(m), 4)) {
      if (m[0] != 0xFF) break;
      if (m[1] == 0xFF) {  // fill byte
        in.seekg(-3, std::ios::cur);
        continue;
      }
      const int marker = m[1];
      const uint16_t length = be16(m + 2);
      if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
        if (!in.read(reinterpret_cast<char*>(m), 5)) break;
        return ImageSize{be16(m + 3), be16(m + 1)};
      }
      if (length < 2) break;
      in.seekg(length - 2, std::ios::cur);
    }
    return data_loss("image '" + path + "' is a truncated or corrupt JPEG (no frame header)");
  }
  return invalid_argument("'" + path + "' is not a PNG, JPEG or BMP image");
}

Result<std::vector<uint8_t>> load_mask(const std::string& path, const PreprocessSpec& spec,
                                       int64_t out_height, int64_t out_width) {
  cv::Mat mask;
  try {
    mask = cv::imread(path, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    return invalid_argument("mask '" + path + "' could not be read: " + e.what());
  }
  if (mask.empty()) return invalid_argument("mask '" + path + "' could not be decoded");
  if (mask.type() != CV_8UC1) {
    return invalid_argument("mask '" + path +
                            "' must be a single-channel 8-bit image of class ids (got " +
                            std::to_string(mask.channels()) +
                            " channel(s)); convert palette or RGB masks to grayscale ids");
  }
  try {
    // The same geometry as decode_and_preprocess, with nearest neighbour.
    const int h = mask.rows, w = mask.cols;
    cv::Mat resized;
    if (spec.resize_shorter > 0) {
      const double scale = static_cast<double>(spec.resize_shorter) / std::min(h, w);
      const int nh = std::max(1, static_cast<int>(std::lround(h * scale)));
      const int nw = std::max(1, static_cast<int>(std::lround(w * scale)));
      cv::resize(mask, resized, cv::Size(nw, nh), 0, 0, cv::INTER_NEAREST);
    } else {
      cv::resize(mask, resized,
                 cv::Size(static_cast<int>(spec.width), static_cast<int>(spec.height)), 0, 0,
                 cv::INTER_NEAREST);
    }
    cv::Mat cropped = resized;
    if (resized.rows != spec.height || resized.cols != spec.width) {
      if (!spec.center_crop || resized.rows < spec.height || resized.cols < spec.width) {
        cv::resize(resized, cropped,
                   cv::Size(static_cast<int>(spec.width), static_cast<int>(spec.height)), 0, 0,
                   cv::INTER_NEAREST);
      } else {
        const int top = static_cast<int>((resized.rows - spec.height) / 2);
        const int left = static_cast<int>((resized.cols - spec.width) / 2);
        cropped = resized(
            cv::Rect(left, top, static_cast<int>(spec.width), static_cast<int>(spec.height)));
      }
    }
    const int oh = out_height > 0 ? static_cast<int>(out_height) : static_cast<int>(spec.height);
    const int ow = out_width > 0 ? static_cast<int>(out_width) : static_cast<int>(spec.width);
    cv::Mat final_mask = cropped;
    if (cropped.rows != oh || cropped.cols != ow)
      cv::resize(cropped, final_mask, cv::Size(ow, oh), 0, 0, cv::INTER_NEAREST);
    std::vector<uint8_t> out(static_cast<size_t>(oh) * static_cast<size_t>(ow));
    for (int y = 0; y < oh; ++y) {
      const uint8_t* row = final_mask.ptr<uint8_t>(y);
      std::copy(row, row + ow, out.begin() + static_cast<ptrdiff_t>(y) * ow);
    }
    return out;
  } catch (const cv::Exception& e) {
    return invalid_argument("mask '" + path + "' could not be resized: " + e.what());
  }
}

}  // namespace edgetier
