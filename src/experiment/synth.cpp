/// Procedural shape dataset: rendering of one sample and writing of a dataset folder.
#include "experiment/synth.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <sstream>

#include "core/clock.h"
#include "core/files.h"

namespace edgetier {
namespace {

namespace fs = std::filesystem;

constexpr std::array<std::string_view, kSynthNumClasses> kClassNames = {
    "circle", "square",  "triangle", "star",    "cross",
    "ring",   "hexagon", "ellipse",  "diamond", "arrow"};
enum ShapeClass {
  kCircle,
  kSquare,
  kTriangle,
  kStar,
  kCross,
  kRing,
  kHexagon,
  kEllipse,
  kDiamond,
  kArrow
};

// Radii as fractions of the image size: one main object and smaller distractors, so the largest
// object is usually clear; the label is still computed from the pixels actually visible.
constexpr double kMainRadiusMin = 0.20, kMainRadiusMax = 0.30;
constexpr double kDistractorRadiusMin = 0.10, kDistractorRadiusMax = 0.17;
constexpr double kMinVisibleFraction = 0.35;  // of an object's own area, after occlusion
constexpr int kMaxLayoutAttempts = 24;
constexpr int kFixedPointShift = 4;  // sub-pixel polygon vertices for cv::fillPoly

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// std::mt19937's output sequence is fixed by the standard, but the <random> distributions are
// not, so the mappings to [0,1) and to a normal are written out here.
class Rng {
 public:
  explicit Rng(uint32_t seed) : engine_(seed) {}

  double uniform() {  // [0, 1) with 53 random bits
    const uint64_t a = engine_() >> 5, b = engine_() >> 6;
    return (static_cast<double>(a) * 67108864.0 + static_cast<double>(b)) *
           (1.0 / 9007199254740992.0);
  }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  int uniform_int(int lo, int hi) {  // inclusive
    return std::min(hi, lo + static_cast<int>(uniform() * (hi - lo + 1)));
  }
  bool bernoulli(double p) { return uniform() < p; }
  // Sum of four uniforms rescaled to unit variance: close enough to Gaussian for pixel noise and
  // pure arithmetic (no libm), hence bit-identical on every IEEE-754 machine.
  double normal() {
    double s = 0;
    for (int i = 0; i < 4; ++i) s += static_cast<double>(engine_()) * (1.0 / 4294967296.0);
    return (s - 2.0) * 1.7320508075688772;
  }

 private:
  std::mt19937 engine_;
};

using Rgb = std::array<double, 3>;

Rgb random_colour(Rng& rng) {
  return {rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)};
}

double distance(const Rgb& a, const Rgb& b) {
  return std::sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
                   (a[2] - b[2]) * (a[2] - b[2]));
}

// Distance from `c` to the colour segment a..b (every background pixel is a blend of a and b).
double distance_to_segment(const Rgb& c, const Rgb& a, const Rgb& b) {
  double num = 0, den = 0;
  for (int k = 0; k < 3; ++k) {
    num += (c[k] - a[k]) * (b[k] - a[k]);
    den += (b[k] - a[k]) * (b[k] - a[k]);
  }
  const double t = den > 0 ? std::clamp(num / den, 0.0, 1.0) : 0.0;
  Rgb p;
  for (int k = 0; k < 3; ++k) p[k] = a[k] + t * (b[k] - a[k]);
  return distance(c, p);
}

struct Background {
  Rgb a, b;
  std::vector<double> blend;  // per pixel, 0 = a, 1 = b
};

// Textures: smooth value noise, soft or hard stripes, a linear gradient, or a rotated checkerboard.
Background make_background(Rng& rng, int size) {
  Background bg{random_colour(rng), random_colour(rng), std::vector<double>(size * size)};
  const double pi = std::numbers::pi;
  const int kind = rng.uniform_int(0, 3);
  if (kind == 0) {
    const double cell = rng.uniform(6.0, 32.0);
    const int n = static_cast<int>(size / cell) + 2;
    std::vector<double> grid(n * n);
    for (double& g : grid) g = rng.uniform();
    for (int y = 0; y < size; ++y) {
      for (int x = 0; x < size; ++x) {
        const double gx = x / cell, gy = y / cell;
        const int ix = static_cast<int>(gx), iy = static_cast<int>(gy);
        double fx = gx - ix, fy = gy - iy;
        fx = fx * fx * (3 - 2 * fx);  // smoothstep: no visible grid creases
        fy = fy * fy * (3 - 2 * fy);
        const double top = grid[iy * n + ix] * (1 - fx) + grid[iy * n + ix + 1] * fx;
        const double bottom = grid[(iy + 1) * n + ix] * (1 - fx) + grid[(iy + 1) * n + ix + 1] * fx;
        bg.blend[y * size + x] = top * (1 - fy) + bottom * fy;
      }
    }
  } else if (kind == 1) {
    const double theta = rng.uniform(0, pi), period = rng.uniform(5.0, 20.0);
    const double phase = rng.uniform(0, 2 * pi);
    const bool hard = rng.bernoulli(0.5);
    const double c = std::cos(theta), s = std::sin(theta);
    for (int y = 0; y < size; ++y) {
      for (int x = 0; x < size; ++x) {
        const double v = std::sin(2 * pi * (x * c + y * s) / period + phase);
        bg.blend[y * size + x] = hard ? (v > 0 ? 1.0 : 0.0) : 0.5 + 0.5 * v;
      }
    }
  } else if (kind == 2) {
    const double theta = rng.uniform(0, 2 * pi);
    const double c = std::cos(theta), s = std::sin(theta), half = size / 2.0;
    for (int y = 0; y < size; ++y) {
      for (int x = 0; x < size; ++x) {
        const double proj = ((x - half) * c + (y - half) * s) / (size * 0.71);
        bg.blend[y * size + x] = std::clamp(0.5 + proj, 0.0, 1.0);
      }
    }
  } else {
    const double theta = rng.uniform(0, pi / 2), cell = rng.uniform(6.0, 20.0);
    const double c = std::cos(theta), s = std::sin(theta);
    for (int y = 0; y < size; ++y) {
      for (int x = 0; x < size; ++x) {
        const auto u = static_cast<int64_t>(std::floor((x * c + y * s) / cell));
        const auto v = static_cast<int64_t>(std::floor((-x * s + y * c) / cell));
        bg.blend[y * size + x] = ((u + v) & 1) ? 1.0 : 0.0;
      }
    }
  }
  return bg;
}

struct ShapeOutline {
  std::vector<cv::Point2d> outer;
  std::vector<cv::Point2d> hole;  // empty unless the shape has one (ring)
};

std::vector<cv::Point2d> regular_polygon(int n, double radius, double start_rad,
                                         double aspect = 1.0) {
  std::vector<cv::Point2d> pts;
  for (int i = 0; i < n; ++i) {
    const double a = start_rad + 2 * std::numbers::pi * i / n;
    pts.emplace_back(radius * std::cos(a), radius * aspect * std::sin(a));
  }
  return pts;
}

ShapeOutline solid(std::vector<cv::Point2d> outer) { return {std::move(outer), {}}; }

// Outlines in unit coordinates (roughly radius 1). Square vs diamond and circle vs ellipse differ
// in aspect ratio, not only in orientation, so they stay distinct under any rotation.
ShapeOutline shape_outline(int cls) {
  const double pi = std::numbers::pi;
  switch (cls) {
    case kCircle: return solid(regular_polygon(64, 1.0, 0));
    case kSquare: return solid({{-0.8, -0.8}, {0.8, -0.8}, {0.8, 0.8}, {-0.8, 0.8}});
    case kTriangle: return solid(regular_polygon(3, 1.15, -pi / 2));
    case kStar: {
      std::vector<cv::Point2d> pts;
      for (int i = 0; i < 10; ++i) {
        const double r = (i % 2 == 0) ? 1.15 : 0.48, a = -pi / 2 + pi * i / 5;
        pts.emplace_back(r * std::cos(a), r * std::sin(a));
      }
      return solid(pts);
    }
    case kCross: {
      const double w = 0.32, l = 1.0;
      return solid({{w, l},
                    {w, w},
                    {l, w},
                    {l, -w},
                    {w, -w},
                    {w, -l},
                    {-w, -l},
                    {-w, -w},
                    {-l, -w},
                    {-l, w},
                    {-w, w},
                    {-w, l}});
    }
    case kRing: return {regular_polygon(64, 1.0, 0), regular_polygon(64, 0.55, 0)};
    case kHexagon: return solid(regular_polygon(6, 1.0, 0));
    case kEllipse: return solid(regular_polygon(64, 1.15, 0, 0.5));
    case kDiamond: return solid({{0, -1.15}, {0.62, 0}, {0, 1.15}, {-0.62, 0}});
    default:  // kArrow
      return solid({{-1.0, -0.22},
                    {0.15, -0.22},
                    {0.15, -0.62},
                    {1.05, 0},
                    {0.15, 0.62},
                    {0.15, 0.22},
                    {-1.0, 0.22}});
  }
}

std::vector<cv::Point> place(const std::vector<cv::Point2d>& pts, const SynthObject& o) {
  const double a = o.angle_deg * std::numbers::pi / 180.0, c = std::cos(a), s = std::sin(a);
  const double scale = 1 << kFixedPointShift;
  std::vector<cv::Point> out;
  out.reserve(pts.size());
  for (const auto& p : pts) {
    const double x = o.center_x + o.radius * (p.x * c - p.y * s);
    const double y = o.center_y + o.radius * (p.x * s + p.y * c);
    out.emplace_back(static_cast<int>(std::lround(x * scale)),
                     static_cast<int>(std::lround(y * scale)));
  }
  return out;
}

cv::Mat render_object(const SynthObject& o, int size) {
  cv::Mat m(size, size, CV_8UC1, cv::Scalar(0));
  const ShapeOutline outline = shape_outline(o.class_id);
  std::vector<std::vector<cv::Point>> poly = {place(outline.outer, o)};
  cv::fillPoly(m, poly, cv::Scalar(255), cv::LINE_8, kFixedPointShift);
  if (!outline.hole.empty()) {
    poly = {place(outline.hole, o)};
    cv::fillPoly(m, poly, cv::Scalar(0), cv::LINE_8, kFixedPointShift);
  }
  return m;
}

struct Paint {
  Rgb colour;
  double shade_cos = 0, shade_sin = 0, shade = 0;  // a linear shading across the object
};

// A colour far from the background's colours and from the objects already chosen.
Rgb pick_object_colour(Rng& rng, const Background& bg, const std::vector<Paint>& others) {
  Rgb best{};
  double best_score = -1;
  for (int attempt = 0; attempt < 48; ++attempt) {
    const Rgb c = random_colour(rng);
    double score = distance_to_segment(c, bg.a, bg.b) / 90.0;
    for (const auto& p : others) score = std::min(score, distance(c, p.colour) / 50.0);
    if (score > best_score) best_score = score, best = c;
    if (score >= 1.0) break;
  }
  return best;
}

}  // namespace

const std::array<std::string_view, kSynthNumClasses>& synth_class_names() { return kClassNames; }

Status SynthOptions::validate() const {
  auto bad = [](const std::string& what) { return invalid_argument("data synth: " + what); };
  if (count < 1 || count > 10'000'000) {
    return bad("count " + std::to_string(count) + " out of range; use 1..10000000 (-n)");
  }
  if (size < 32 || size > 1024) {
    return bad("size " + std::to_string(size) + " out of range; use 32..1024 (--size)");
  }
  if (min_objects < 1 || max_objects > 8 || min_objects > max_objects) {
    return bad("objects per image " + std::to_string(min_objects) + ".." +
               std::to_string(max_objects) + " invalid; need 1 <= min <= max <= 8");
  }
  if (!(noise_std >= 0 && noise_std <= 64)) {
    return bad("noise std " + std::to_string(noise_std) + " out of range; use 0..64 (--noise)");
  }
  if (!(min_area_ratio >= 1 && min_area_ratio <= 4)) {
    return bad("min area ratio " + std::to_string(min_area_ratio) + " out of range; use 1..4");
  }
  return ok_status();
}

Result<SynthSample> synth_sample(const SynthOptions& options, int64_t index) {
  RETURN_IF_ERROR(options.validate());
  if (index < 0)
    return invalid_argument("data synth: negative sample index " + std::to_string(index));
  const int size = options.size;
  const uint64_t stream = splitmix64(options.seed ^ splitmix64(static_cast<uint64_t>(index)));
  Rng rng(static_cast<uint32_t>(stream ^ (stream >> 32)));

  const Background bg = make_background(rng, size);
  const int wanted_objects = rng.uniform_int(options.min_objects, options.max_objects);
  // Drawn once, outside the layout retries: thin shapes (star, arrow) fail the area-ratio check
  // more often, and redrawing the class on retry would make them rarer as labels.
  const int main_class = rng.uniform_int(0, kSynthNumClasses - 1);

  std::vector<SynthObject> objects;
  std::vector<Paint> paints;
  std::vector<cv::Mat> shapes;
  std::vector<int> owner;  // per pixel: index of the visible object, -1 = background
  for (int attempt = 0; attempt < kMaxLayoutAttempts; ++attempt) {
    // After many failed layouts (crowded, heavy occlusion) fall back to a single object.
    const int n = attempt + 1 < kMaxLayoutAttempts ? wanted_objects : 1;
    const int main_slot = rng.uniform_int(0, n - 1);
    objects.assign(n, {});
    paints.clear();
    shapes.clear();
    for (int i = 0; i < n; ++i) {
      SynthObject& o = objects[i];
      const bool main = i == main_slot;
      o.class_id = main ? main_class : rng.uniform_int(0, kSynthNumClasses - 1);
      o.radius = size * (main ? rng.uniform(kMainRadiusMin, kMainRadiusMax)
                              : rng.uniform(kDistractorRadiusMin, kDistractorRadiusMax));
      const double margin = o.radius * 0.8;
      o.center_x = rng.uniform(margin, size - margin);
      o.center_y = rng.uniform(margin, size - margin);
      o.angle_deg = rng.uniform(0, 360);
      Paint p;
      p.colour = pick_object_colour(rng, bg, paints);
      const double phi = rng.uniform(0, 2 * std::numbers::pi);
      p.shade_cos = std::cos(phi), p.shade_sin = std::sin(phi), p.shade = rng.uniform(0, 0.25);
      paints.push_back(p);
      shapes.push_back(render_object(o, size));
    }
    owner.assign(size * size, -1);
    std::vector<int64_t> full(n, 0);
    for (int i = 0; i < n; ++i) {
      for (int y = 0; y < size; ++y) {
        const uint8_t* row = shapes[i].ptr<uint8_t>(y);
        for (int x = 0; x < size; ++x) {
          if (row[x]) owner[y * size + x] = i, ++full[i];
        }
      }
    }
    for (auto& o : objects) o.visible_pixels = 0;
    for (int v : owner) {
      if (v >= 0) ++objects[v].visible_pixels;
    }
    bool ok = true;
    std::vector<int64_t> areas;
    for (int i = 0; i < n; ++i) {
      ok = ok && objects[i].visible_pixels >= 16 &&
           objects[i].visible_pixels >= kMinVisibleFraction * static_cast<double>(full[i]);
      areas.push_back(objects[i].visible_pixels);
    }
    std::sort(areas.rbegin(), areas.rend());
    if (n > 1) ok = ok && areas[0] >= options.min_area_ratio * static_cast<double>(areas[1]);
    if (ok) break;
    if (n == 1) break;  // a single object always stands; keep it even if clipped by the border
  }

  SynthSample sample;
  int largest = 0;
  for (size_t i = 1; i < objects.size(); ++i) {
    if (objects[i].visible_pixels > objects[largest].visible_pixels) largest = static_cast<int>(i);
  }
  sample.label = objects[largest].class_id;
  // Each object's box: the extent of the pixels it shows after occlusion.
  std::vector<int> x0(objects.size(), size), y0(objects.size(), size), x1(objects.size(), -1),
      y1(objects.size(), -1);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const int who = owner[y * size + x];
      if (who < 0) continue;
      x0[who] = std::min(x0[who], x), x1[who] = std::max(x1[who], x);
      y0[who] = std::min(y0[who], y), y1[who] = std::max(y1[who], y);
    }
  }
  for (size_t i = 0; i < objects.size(); ++i) {
    if (x1[i] < 0) continue;  // nothing visible: an empty box
    objects[i].box_x = x0[i], objects[i].box_y = y0[i];
    objects[i].box_w = x1[i] - x0[i] + 1, objects[i].box_h = y1[i] - y0[i] + 1;
  }

  // Compose in double: background texture, background-only grain, shaded objects, then a global
  // illumination gradient and sensor noise over everything.
  const double grain = rng.bernoulli(0.5) ? rng.uniform(0, 14) : 0.0;
  const double light_theta = rng.uniform(0, 2 * std::numbers::pi), light = rng.uniform(0, 0.2);
  const double light_c = std::cos(light_theta), light_s = std::sin(light_theta);
  const double noise = options.noise_std * rng.uniform(0.25, 1.0);
  sample.image.create(size, size, CV_8UC3);
  sample.mask.create(size, size, CV_8UC1);
  const double half = size / 2.0;
  for (int y = 0; y < size; ++y) {
    auto* img_row = sample.image.ptr<cv::Vec3b>(y);
    auto* mask_row = sample.mask.ptr<uint8_t>(y);
    for (int x = 0; x < size; ++x) {
      const int who = owner[y * size + x];
      Rgb c;
      if (who < 0) {
        const double t = bg.blend[y * size + x];
        for (int k = 0; k < 3; ++k) c[k] = bg.a[k] + t * (bg.b[k] - bg.a[k]);
        if (grain > 0) {
          for (int k = 0; k < 3; ++k) c[k] += grain * rng.normal();
        }
        mask_row[x] = 0;
      } else {
        const SynthObject& o = objects[who];
        const Paint& p = paints[who];
        const double proj =
            ((x - o.center_x) * p.shade_cos + (y - o.center_y) * p.shade_sin) / o.radius;
        const double f = 1.0 + 0.5 * p.shade * proj;
        for (int k = 0; k < 3; ++k) c[k] = p.colour[k] * f;
        mask_row[x] = static_cast<uint8_t>(o.class_id + 1);
      }
      const double g = 1.0 + light * ((x - half) * light_c + (y - half) * light_s) / size;
      for (int k = 0; k < 3; ++k) {
        const double v = c[k] * g + noise * rng.normal();
        c[k] = std::clamp(std::floor(v + 0.5), 0.0, 255.0);
      }
      img_row[x] = cv::Vec3b(static_cast<uint8_t>(c[2]), static_cast<uint8_t>(c[1]),
                             static_cast<uint8_t>(c[0]));
    }
  }
  sample.objects = std::move(objects);
  return sample;
}

namespace {

Status write_bytes(const fs::path& path, const std::vector<uchar>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return internal_error("data synth: cannot write '" + path.string() + "' (disk full?)");
  return ok_status();
}

Status write_text(const fs::path& path, const std::string& text) {
  return write_bytes(path, std::vector<uchar>(text.begin(), text.end()));
}

Result<std::vector<uchar>> encode_png(const cv::Mat& image) {
  std::vector<uchar> bytes;
  try {
    if (!cv::imencode(".png", image, bytes, {cv::IMWRITE_PNG_COMPRESSION, 3})) {
      return internal_error("data synth: OpenCV could not encode a PNG");
    }
  } catch (const cv::Exception& e) {
    return internal_error(std::string("data synth: OpenCV: ") + e.what());
  }
  return bytes;
}

std::string file_name(int64_t index, int64_t count) {
  const int digits = std::max<int>(6, static_cast<int>(std::to_string(count - 1).size()));
  std::string s = std::to_string(index);
  return std::string(digits - s.size(), '0') + s + ".png";
}

// Removes the temporary folder unless the dataset was moved into place.
Status fs_error(const std::string& what, const fs::path& path, const std::error_code& ec) {
  return internal_error("data synth: cannot " + what + " '" + path.string() + "': " + ec.message());
}

}  // namespace

Result<SynthDatasetSummary> write_synth_dataset(const SynthOptions& options, const std::string& dir,
                                                bool force) {
  RETURN_IF_ERROR(options.validate());
  if (dir.empty()) return invalid_argument("data synth: no output folder; pass -o DIR");
  Stopwatch watch;
  std::error_code ec;
  fs::path target = fs::absolute(fs::path(dir), ec).lexically_normal();
  if (ec) return fs_error("resolve", dir, ec);
  if (target.filename().empty()) target = target.parent_path();
  if (fs::exists(target, ec)) {
    if (!fs::is_directory(target, ec)) {
      return already_exists("data synth: '" + dir +
                            "' exists and is not a folder; choose another -o");
    }
    if (!fs::is_empty(target, ec)) {
      if (!force) {
        return already_exists("data synth: output folder '" + dir +
                              "' is not empty; pass --force to replace it or choose another -o");
      }
      if (!fs::exists(target / "classes.txt", ec)) {
        return failed_precondition(
            "data synth: refusing to replace '" + dir +
            "': it has no classes.txt, so it is not a dataset written by "
            "`edgetier data synth`; remove it yourself or choose another -o");
      }
    }
  }
  const fs::path parent = target.parent_path();
  fs::create_directories(parent, ec);
  if (ec) return fs_error("create folder", parent, ec);

  const bool segment = options.task == Task::kSegment;
  const bool detect = options.task == Task::kDetect;
  SynthDatasetSummary summary;
  summary.task = options.task;
  summary.dir = target.string();
  summary.count = options.count;
  summary.size = options.size;
  summary.seed = options.seed;
  // Written into a fresh folder beside DIR and swapped in whole: a crash or a full disk leaves
  // the old dataset or the new one under DIR, never a half-written one.
  RETURN_IF_ERROR(
      replace_directory_atomic(target.string(), [&](const std::string& tmp_dir) -> Status {
        const fs::path tmp(tmp_dir);
        std::error_code dir_ec;
        fs::create_directories(tmp / "images", dir_ec);
        if (!dir_ec && segment) fs::create_directories(tmp / "masks", dir_ec);
        if (dir_ec) return fs_error("create folder", tmp, dir_ec);
        std::string labels = "file,label\n";
        nlohmann::json coco_images = nlohmann::json::array(), coco_anns = nlohmann::json::array();
        for (int64_t i = 0; i < options.count; ++i) {
          ASSIGN_OR_RETURN(SynthSample sample, synth_sample(options, i));
          const std::string name = file_name(i, options.count);
          ASSIGN_OR_RETURN(auto png, encode_png(sample.image));
          RETURN_IF_ERROR(write_bytes(tmp / "images" / name, png));
          summary.bytes_written += static_cast<int64_t>(png.size());
          if (segment) {
            ASSIGN_OR_RETURN(auto mask_png, encode_png(sample.mask));
            RETURN_IF_ERROR(write_bytes(tmp / "masks" / name, mask_png));
            summary.bytes_written += static_cast<int64_t>(mask_png.size());
          } else if (detect) {
            const int64_t image_id = i + 1;
            coco_images.push_back({{"id", image_id}, {"file_name", name},
                                   {"width", options.size}, {"height", options.size}});
            for (const SynthObject& o : sample.objects) {
              if (o.visible_pixels == 0) continue;
              coco_anns.push_back({{"id", static_cast<int64_t>(coco_anns.size()) + 1},
                                   {"image_id", image_id},
                                   {"category_id", o.class_id + 1},
                                   {"bbox", {o.box_x, o.box_y, o.box_w, o.box_h}},
                                   {"area", o.visible_pixels},
                                   {"iscrowd", 0}});
            }
          } else {
            labels += "images/" + name + "," + std::to_string(sample.label) + "\n";
          }
          ++summary.images_per_label[sample.label];
          for (int y = 0; y < sample.mask.rows; ++y) {
            const uint8_t* row = sample.mask.ptr<uint8_t>(y);
            for (int x = 0; x < sample.mask.cols; ++x) ++summary.pixels_per_class[row[x]];
          }
        }
        std::string classes = segment ? "background\n" : "";
        for (auto name : kClassNames) classes += std::string(name) + "\n";
        RETURN_IF_ERROR(write_text(tmp / "classes.txt", classes));
        if (detect) {
          nlohmann::json cats = nlohmann::json::array();
          for (int c = 0; c < kSynthNumClasses; ++c) {
            cats.push_back({{"id", c + 1}, {"name", std::string(kClassNames[c])}});
          }
          const nlohmann::json coco = {
              {"images", coco_images}, {"annotations", coco_anns}, {"categories", cats}};
          RETURN_IF_ERROR(write_text(tmp / "instances.json", coco.dump() + "\n"));
        } else if (!segment) {
          RETURN_IF_ERROR(write_text(tmp / "labels.csv", labels));
        }
        return ok_status();
      }));
  summary.elapsed_ms = watch.elapsed_ms();
  return summary;
}

nlohmann::json synth_summary_to_json(const SynthDatasetSummary& s) {
  nlohmann::json per_label = nlohmann::json::object(), pixels = nlohmann::json::object();
  int64_t total_pixels = 0;
  for (int64_t p : s.pixels_per_class) total_pixels += p;
  for (int c = 0; c <= kSynthNumClasses; ++c) {
    const std::string name = c == 0 ? "background" : std::string(kClassNames[c - 1]);
    if (c > 0) per_label[name] = s.images_per_label[c - 1];
    pixels[name] = total_pixels ? static_cast<double>(s.pixels_per_class[c]) / total_pixels : 0.0;
  }
  nlohmann::json classes = nlohmann::json::array();
  if (s.task == Task::kSegment) classes.push_back("background");
  for (auto name : kClassNames) classes.push_back(std::string(name));
  return {{"task", std::string(task_name(s.task))},
          {"dir", s.dir},
          {"count", s.count},
          {"size", s.size},
          {"seed", s.seed},
          {"classes", classes},
          {"images_per_label", per_label},
          {"pixel_fraction", pixels},
          {"bytes_written", s.bytes_written},
          {"elapsed_ms", s.elapsed_ms}};
}

}  // namespace edgetier
