/// COCO and YOLO detection labels: strict readers whose errors name the file and key or line.
#include "experiment/detection_labels.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/json_reader.h"
#include "core/strings.h"
#include "experiment/datasets.h"

namespace fs = std::filesystem;

namespace edgetier {
namespace {

std::string normal(const fs::path& p) { return fs::absolute(p).lexically_normal().string(); }

std::string num(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

Status check_dir(const std::string& dir, const std::string& what) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return not_found(what + " '" + dir + "' is not a folder");
  return ok_status();
}

/// The list at `key` of the document (required).
Result<const nlohmann::json*> list_at(const nlohmann::json& doc, const std::string& label,
                                      const std::string& key) {
  if (!doc.is_object()) return invalid_argument(label + ": expected an object at the top");
  if (!doc.contains(key)) return invalid_argument(label + ": missing key '" + key + "'");
  const nlohmann::json& v = doc.at(key);
  if (!v.is_array()) {
    return invalid_argument(label + ": " + key + ": expected a list, got " + describe_json(v));
  }
  return &v;
}

struct CocoImage {
  std::string path;
  int64_t width = 0, height = 0;
  size_t sample = 0;
};

}  // namespace

Result<DetectionDataset> load_coco_detection(const std::string& instances_json,
                                             const std::string& images_dir) {
  DetectionDataset out;
  out.images_dir = normal(images_dir);
  RETURN_IF_ERROR(check_dir(out.images_dir, "COCO image folder"));
  ASSIGN_OR_RETURN(nlohmann::json doc, read_json_file(instances_json));
  const std::string& label = instances_json;

  ASSIGN_OR_RETURN(const nlohmann::json* cats, list_at(doc, label, "categories"));
  std::map<int64_t, int64_t> class_of;  // category id -> class index
  for (size_t i = 0; i < cats->size(); ++i) {
    ASSIGN_OR_RETURN(JsonMap c,
                     JsonMap::open((*cats)[i], label, "categories[" + std::to_string(i) + "]"));
    int64_t id = -1;
    std::string name;
    if (!c.has("id")) return c.error("id", "missing");
    RETURN_IF_ERROR(c.get("id", &id));
    RETURN_IF_ERROR(c.get("name", &name));
    if (name.empty()) return c.error("name", "missing or empty");
    if (!class_of.emplace(id, static_cast<int64_t>(out.classes.size())).second) {
      return c.error("id", "category id " + std::to_string(id) + " is listed twice");
    }
    out.classes.push_back(name);
    out.category_ids.push_back(id);
  }

  ASSIGN_OR_RETURN(const nlohmann::json* imgs, list_at(doc, label, "images"));
  std::map<int64_t, CocoImage> images;
  std::set<std::string> paths;
  for (size_t i = 0; i < imgs->size(); ++i) {
    ASSIGN_OR_RETURN(JsonMap m,
                     JsonMap::open((*imgs)[i], label, "images[" + std::to_string(i) + "]"));
    int64_t id = 0;
    CocoImage img;
    std::string file;
    for (const char* key : {"id", "file_name", "width", "height"}) {
      if (!m.has(key)) return m.error(key, "missing");
    }
    RETURN_IF_ERROR(m.get("id", &id));
    RETURN_IF_ERROR(m.get("file_name", &file));
    RETURN_IF_ERROR(m.get("width", &img.width));
    RETURN_IF_ERROR(m.get("height", &img.height));
    if (img.width <= 0 || img.height <= 0) {
      return m.error("width", "the image size must be positive, got " + std::to_string(img.width) +
                                  "x" + std::to_string(img.height));
    }
    img.path = normal(fs::path(out.images_dir) / file);
    std::error_code ec;
    if (!fs::is_regular_file(img.path, ec)) {
      return m.error("file_name", "'" + file + "' is not in '" + out.images_dir + "'");
    }
    if (!paths.insert(img.path).second)
      return m.error("file_name", "'" + file + "' is listed twice");
    if (images.count(id))
      return m.error("id", "image id " + std::to_string(id) + " is listed twice");
    images.emplace(id, img);
  }

  ASSIGN_OR_RETURN(const nlohmann::json* anns, list_at(doc, label, "annotations"));
  std::map<int64_t, std::vector<TruthBox>> boxes;
  for (size_t i = 0; i < anns->size(); ++i) {
    ASSIGN_OR_RETURN(JsonMap a,
                     JsonMap::open((*anns)[i], label, "annotations[" + std::to_string(i) + "]"));
    for (const char* key : {"image_id", "category_id", "bbox"}) {
      if (!a.has(key)) return a.error(key, "missing");
    }
    int64_t image_id = 0, category = 0, crowd = 0;
    RETURN_IF_ERROR(a.get("image_id", &image_id));
    RETURN_IF_ERROR(a.get("category_id", &category));
    RETURN_IF_ERROR(a.get("iscrowd", &crowd));
    const auto img = images.find(image_id);
    if (img == images.end()) {
      return a.error("image_id", "image id " + std::to_string(image_id) + " is not in 'images'");
    }
    const auto cls = class_of.find(category);
    if (cls == class_of.end()) {
      return a.error("category_id",
                     "category id " + std::to_string(category) + " is not in 'categories'");
    }
    if (crowd != 0 && crowd != 1)
      return a.error("iscrowd", "expected 0 or 1, got " + std::to_string(crowd));
    const nlohmann::json& b = a.at("bbox");
    if (!b.is_array() || b.size() != 4 ||
        !std::all_of(b.begin(), b.end(), [](const auto& v) { return v.is_number(); })) {
      return a.error("bbox", "expected [x, y, width, height], got " + describe_json(b));
    }
    TruthBox t;
    t.box = {b[0].get<double>(), b[1].get<double>(), b[2].get<double>(), b[3].get<double>()};
    t.category = cls->second;
    t.crowd = crowd == 1;
    const Box& x = t.box;
    if (!std::isfinite(x.x) || !std::isfinite(x.y) || !std::isfinite(x.w) || !std::isfinite(x.h) ||
        x.w < 0 || x.h < 0) {
      return a.error("bbox", "width and height must be >= 0, got " + describe_json(b));
    }
    const double s = kCocoBoxSlackPx;
    const CocoImage& im = img->second;
    if (x.x < -s || x.y < -s || x.x + x.w > static_cast<double>(im.width) + s ||
        x.y + x.h > static_cast<double>(im.height) + s) {
      return a.error("bbox", "[" + num(x.x) + ", " + num(x.y) + ", " + num(x.w) + ", " + num(x.h) +
                                 "] is outside image " + std::to_string(image_id) + " (" +
                                 std::to_string(im.width) + "x" + std::to_string(im.height) + ")");
    }
    if (a.has("area")) {
      RETURN_IF_ERROR(a.get("area", &t.area));
      if (!std::isfinite(t.area) || t.area < 0) return a.error("area", "must be >= 0");
    }
    boxes[image_id].push_back(t);
  }

  for (auto& [id, img] : images) {
    Sample s;
    s.image_path = img.path;
    s.boxes = std::move(boxes[id]);
    out.samples.push_back(std::move(s));
  }
  std::sort(out.samples.begin(), out.samples.end(),
            [](const Sample& a, const Sample& b) { return a.image_path < b.image_path; });
  return out;
}

Result<DetectionDataset> load_yolo_detection(const std::string& root,
                                             const std::string& classes_file) {
  DetectionDataset out;
  out.images_dir = normal(fs::path(root) / "images");
  const std::string labels_dir = normal(fs::path(root) / "labels");
  RETURN_IF_ERROR(check_dir(out.images_dir, "YOLO image folder"));
  RETURN_IF_ERROR(check_dir(labels_dir, "YOLO label folder"));
  ASSIGN_OR_RETURN(out.classes, read_class_names(normal(fs::path(root) / classes_file)));
  for (size_t i = 0; i < out.classes.size(); ++i)
    out.category_ids.push_back(static_cast<int64_t>(i));
  const auto k = static_cast<int64_t>(out.classes.size());

  // Images by stem, directly in images/ as YOLO lays them out.
  std::map<std::string, std::string> image_of;
  std::error_code ec;
  for (fs::directory_iterator it(out.images_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || !is_image_file(it->path().string())) continue;
    const std::string stem = it->path().stem().string();
    if (!image_of.emplace(stem, normal(it->path())).second) {
      return invalid_argument("'" + out.images_dir + "' has two images named '" + stem +
                              "' (one label file cannot tell them apart)");
    }
  }
  if (image_of.empty())
    return invalid_argument("YOLO image folder '" + out.images_dir + "' has no images");
  std::vector<std::string> label_files;
  for (fs::directory_iterator it(labels_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path().extension() == ".txt") {
      label_files.push_back(normal(it->path()));
    }
  }
  std::sort(label_files.begin(), label_files.end());

  std::map<std::string, std::vector<TruthBox>> boxes;  // image path -> objects
  for (const std::string& file : label_files) {
    const std::string name = "labels/" + fs::path(file).filename().string();
    const auto img = image_of.find(fs::path(file).stem().string());
    if (img == image_of.end()) {
      return invalid_argument(name + ": no image '" + fs::path(file).stem().string() + ".*' in '" +
                              out.images_dir + "'");
    }
    ASSIGN_OR_RETURN(ImageSize size, read_image_size(img->second));
    std::ifstream in(file);
    if (!in) return not_found(name + ": cannot be opened");
    std::string line;
    int line_no = 0;
    auto& list = boxes[img->second];
    while (std::getline(in, line)) {
      ++line_no;
      const std::string where = name + ":" + std::to_string(line_no) + ": ";
      const auto words = split_words(line);
      if (words.empty()) continue;
      if (words.size() != 5) {
        return invalid_argument(where + "expected 5 numbers (class cx cy w h), got " +
                                std::to_string(words.size()));
      }
      double v[5];
      for (int i = 0; i < 5; ++i) {
        const char* begin = words[static_cast<size_t>(i)].c_str();
        char* end = nullptr;
        errno = 0;
        v[i] = std::strtod(begin, &end);
        if (end == begin || *end != '\0' || errno != 0 || !std::isfinite(v[i])) {
          return invalid_argument(where + "'" + words[static_cast<size_t>(i)] +
                                  "' is not a number");
        }
      }
      if (v[0] != std::floor(v[0]) || v[0] < 0 || v[0] >= static_cast<double>(k)) {
        return invalid_argument(where + "class " + words[0] + " is outside the " +
                                std::to_string(k) + " classes of " + classes_file + " (0.." +
                                std::to_string(k - 1) + ")");
      }
      const double cx = v[1], cy = v[2], w = v[3], h = v[4];
      if (w <= 0 || h <= 0 || cx - w / 2 < -kYoloSlack || cy - h / 2 < -kYoloSlack ||
          cx + w / 2 > 1 + kYoloSlack || cy + h / 2 > 1 + kYoloSlack) {
        return invalid_argument(where + "box (cx " + words[1] + ", cy " + words[2] + ", w " +
                                words[3] + ", h " + words[4] +
                                ") must have w, h > 0 and lie inside the image (normalised 0..1)");
      }
      TruthBox t;
      const double iw = static_cast<double>(size.width), ih = static_cast<double>(size.height);
      t.box = {(cx - w / 2) * iw, (cy - h / 2) * ih, w * iw, h * ih};
      t.category = static_cast<int64_t>(v[0]);
      list.push_back(t);
    }
  }
  for (const auto& [stem, path] : image_of) {
    Sample s;
    s.image_path = path;
    s.boxes = std::move(boxes[path]);
    out.samples.push_back(std::move(s));
  }
  std::sort(out.samples.begin(), out.samples.end(),
            [](const Sample& a, const Sample& b) { return a.image_path < b.image_path; });
  return out;
}

}  // namespace edgetier
