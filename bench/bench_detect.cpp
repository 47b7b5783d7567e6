/// Detection benchmarks, measured side by side in one run:
/// - decode + NMS of the demo detector's own head (its 180 candidates, on a real synthetic
///   image's output) against its compute time for that image, interleaved;
/// - decode + NMS of a raw YOLO head with 8,400 candidates (a 640 px YOLOv8 head: 80x80, 40x40
///   and 20x20 cells, 80 classes) against the same compute, and, with --large-model (a detector
///   whose head has 8,400 candidates, e.g. `scripts/export_torchvision.py yolo_style_n --size
///   640`), against that model's compute;
/// - COCO mAP evaluation (mAP@[.5:.95], mAP@0.5, the three size ranges) of 5,000 images.
///
///   bench_detect [--model models/demo_detector.onnx] [--large-model M.onnx] [-n RUNS]
///                [--classes 80] [--images 5000] [--check]
///
/// The 8,400-candidate head is synthetic but shaped like a trained detector's: low background
/// scores everywhere and clusters of overlapping, confident candidates around 30 objects, so NMS
/// has real work. --check exits non-zero when a head's decode + NMS is not under 1% of the
/// compute of the model it belongs to.
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/percentile.h"
#include "metrics/detection.h"
#include "metrics/detection_decode.h"
#include "experiment/synth.h"
#include "runtime/model_sidecar.h"
#include "runtime/ort_session.h"
#include "runtime/preprocess.h"

namespace fs = std::filesystem;
using namespace edgetier;

namespace {

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "bench_detect: %s\n", message.c_str());
  std::exit(2);
}

template <typename T>
T unwrap(Result<T> r, const std::string& what) {
  if (!r.ok()) die(what + ": " + r.status().to_string());
  return std::move(r).value();
}

constexpr int64_t kImagePx = 640;
constexpr int64_t kCandidates = 80 * 80 + 40 * 40 + 20 * 20;  // 8,400

/// [1, 4 + classes, 8400]: cx, cy, w, h in pixels, then sigmoid scores. `objects` objects each
/// draw ~10 confident, jittered candidates of their class; every other score is background.
Tensor yolo_head(int64_t classes, int objects, std::mt19937& rng) {
  std::vector<float> head(static_cast<size_t>((4 + classes) * kCandidates));
  auto at = [&](int64_t row, int64_t anchor) -> float& {
    return head[static_cast<size_t>(row * kCandidates + anchor)];
  };
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  for (int64_t a = 0; a < kCandidates; ++a) {
    at(0, a) = unit(rng) * kImagePx;
    at(1, a) = unit(rng) * kImagePx;
    at(2, a) = 8 + unit(rng) * 120;
    at(3, a) = 8 + unit(rng) * 120;
    for (int64_t c = 0; c < classes; ++c) at(4 + c, a) = unit(rng) * 0.02f;
  }
  std::uniform_int_distribution<int64_t> anchor(0, kCandidates - 1), cls(0, classes - 1);
  for (int o = 0; o < objects; ++o) {
    const float cx = unit(rng) * kImagePx, cy = unit(rng) * kImagePx;
    const float w = 20 + unit(rng) * 200, h = 20 + unit(rng) * 200;
    const int64_t c = cls(rng);
    for (int k = 0; k < 10; ++k) {
      const int64_t a = anchor(rng);
      at(0, a) = cx + (unit(rng) - 0.5f) * 0.1f * w;
      at(1, a) = cy + (unit(rng) - 0.5f) * 0.1f * h;
      at(2, a) = w * (0.9f + 0.2f * unit(rng));
      at(3, a) = h * (0.9f + 0.2f * unit(rng));
      at(4 + c, a) = 0.3f + 0.65f * unit(rng);
    }
  }
  return Tensor::from_vector<float>("output0", DType::kFloat32, {1, 4 + classes, kCandidates},
                                    head);
}

/// One synthetic COCO-like image: `objects` truths over `classes` categories and 100
/// detections, most near a truth (jittered, right or wrong class), the rest anywhere.
void coco_like_image(int64_t classes, std::mt19937& rng, std::vector<DetectedBox>* detections,
                     std::vector<TruthBox>* truth) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<int64_t> cls(0, classes - 1);
  truth->clear();
  detections->clear();
  const int objects = 1 + static_cast<int>(unit(rng) * 13);  // COCO: ~7 per image
  for (int o = 0; o < objects; ++o) {
    const double w = 4 + unit(rng) * 300, h = 4 + unit(rng) * 300;  // all three size ranges
    truth->push_back({{unit(rng) * (kImagePx - w), unit(rng) * (kImagePx - h), w, h}, cls(rng)});
  }
  for (int d = 0; d < DetectionAP::kMaxDetections; ++d) {
    DetectedBox b;
    b.score = unit(rng);
    if (d < 3 * objects) {
      const TruthBox& t = (*truth)[static_cast<size_t>(d % objects)];
      b.box = {t.box.x + (unit(rng) - 0.5) * 0.2 * t.box.w, t.box.y + (unit(rng) - 0.5) * 0.2 * t.box.h,
               t.box.w * (0.8 + 0.4 * unit(rng)), t.box.h * (0.8 + 0.4 * unit(rng))};
      b.category = unit(rng) < 0.8 ? t.category : cls(rng);
    } else {
      b.box = {unit(rng) * 600, unit(rng) * 600, 4 + unit(rng) * 200, 4 + unit(rng) * 200};
      b.category = cls(rng);
    }
    detections->push_back(b);
  }
}

/// A session with one intra-op thread (as a tier runs it) and an input of its first input's
/// shape (dynamic axes 1) filled with `fill`.
struct Model {
  std::unique_ptr<OrtSession> session;
  Tensor input;
};

Model open_model(const std::string& path, std::mt19937& rng) {
  if (!fs::exists(path)) die(path + " not found");
  SessionOptions options;
  options.intra_op_threads = 1;
  Model m;
  m.session = unwrap(OrtSession::from_file(path, options), "session for " + path);
  if (m.session->inputs().empty()) die(path + " has no input");
  std::vector<int64_t> shape = m.session->inputs()[0].shape;
  for (int64_t& d : shape)
    if (d <= 0) d = 1;
  int64_t elements = 1;
  for (int64_t d : shape) elements *= d;
  std::vector<float> pixels(static_cast<size_t>(elements));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& p : pixels) p = normal(rng);
  m.input = Tensor::from_vector<float>(m.session->inputs()[0].name, DType::kFloat32, shape, pixels);
  return m;
}

/// Median compute and median decode + NMS of `head`, interleaved (A B A B) so drift hits both.
std::pair<double, double> compute_and_decode_ms(Model& model, const Tensor& head,
                                                const DetectionDecodeOptions& options, int runs,
                                                size_t* kept) {
  for (int i = 0; i < 5; ++i) {
    (void)unwrap(model.session->run({model.input}), "warm-up run");
    *kept = unwrap(decode_yolo_output(head, options), "decode").size();
  }
  std::vector<double> compute_ms, decode_ms;
  for (int i = 0; i < runs; ++i) {
    Stopwatch c;
    (void)unwrap(model.session->run({model.input}), "run");
    compute_ms.push_back(c.elapsed_ms());
    Stopwatch d;
    (void)unwrap(decode_yolo_output(head, options), "decode");
    decode_ms.push_back(d.elapsed_ms());
  }
  return {median(compute_ms), median(decode_ms)};
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_path = std::string(EDGETIER_SOURCE_DIR) + "/models/demo_detector.onnx";
  std::string large_model_path;
  int runs = 200, images = 5000;
  int64_t classes = 80;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--model")
      model_path = next();
    else if (a == "--large-model")
      large_model_path = next();
    else if (a == "-n")
      runs = std::max(1, std::atoi(next().c_str()));
    else if (a == "--classes")
      classes = std::max(1, std::atoi(next().c_str()));
    else if (a == "--images")
      images = std::max(1, std::atoi(next().c_str()));
    else if (a == "--check")
      check = true;
    else
      die("unknown argument '" + a +
          "'; usage: bench_detect [--model M] [--large-model M] [-n RUNS] [--classes C] "
          "[--images N] [--check]");
  }
  std::mt19937 rng(7);
  Model demo = open_model(model_path, rng);
  std::printf("bench_detect: %s, %d interleaved runs of each pair\n",
              fs::path(model_path).filename().c_str(), runs);

  // The demo detector's own head, on a real synthetic image's output, decoded as its sidecar
  // says (10 classes, thresholds 0.25 / 0.45, at most 100).
  bool all_ok = true;
  {
    // A synthetic detection image (the demo detector's training distribution) through its
    // sidecar's preprocessing, so the head holds real detections.
    SynthOptions synth;
    synth.task = Task::kDetect;
    synth.seed = 2;
    const SynthSample sample = unwrap(synth_sample(synth, 0), "synthetic image");
    std::vector<uint8_t> png;
    cv::imencode(".png", sample.image, png);
    const auto sidecar = unwrap(load_model_sidecar(model_path), "sidecar");
    if (!sidecar) die(model_path + " has no sidecar");
    const PreprocessSpec spec = unwrap(preprocess_from_json(sidecar->preprocess), "preprocess");
    demo.input = unwrap(
        decode_and_preprocess(std::string_view(reinterpret_cast<const char*>(png.data()), png.size()), spec),
        "preprocessing");
    demo.input.name = demo.session->inputs()[0].name;
    auto outputs = unwrap(demo.session->run({demo.input}), "demo run");
    if (outputs.empty() || outputs[0].shape.size() != 3) die("the demo detector's output is not a YOLO head");
    DetectionDecodeOptions own;
    own.num_classes = outputs[0].shape[1] - 4;
    size_t kept = 0;
    const auto [compute, decode] = compute_and_decode_ms(demo, outputs[0], own, runs, &kept);
    const double share = decode / compute;
    all_ok = all_ok && share < 0.01;
    std::printf("\ndecode + NMS of the demo detector's own head %s (%zu boxes kept)\n",
                shape_to_string(outputs[0].shape).c_str(), kept);
    std::printf("  decode + NMS median              %8.4f ms per image\n", decode);
    std::printf("  its compute median               %8.4f ms per image (1 thread)\n", compute);
    std::printf("  share %.3f%% (target < 1%%): %s\n", 100.0 * share, share < 0.01 ? "PASS" : "FAIL");
  }

  DetectionDecodeOptions options;
  options.num_classes = classes;
  const Tensor head = yolo_head(classes, 30, rng);
  size_t kept = 0;
  const auto [compute, decode] = compute_and_decode_ms(demo, head, options, runs, &kept);
  std::printf("\ndecode + NMS of a [1, %lld, %lld] YOLO head (30 objects, %zu boxes kept)\n",
              static_cast<long long>(4 + classes), static_cast<long long>(kCandidates), kept);
  std::printf("  decode + NMS median              %8.4f ms per image\n", decode);
  std::printf("  = %.1f%% of the demo detector's compute (%.4f ms; its head has 180 candidates)\n",
              100.0 * decode / compute, compute);
  if (!large_model_path.empty()) {
    Model large = open_model(large_model_path, rng);
    const auto [large_compute, large_decode] =
        compute_and_decode_ms(large, head, options, std::max(5, runs / 10), &kept);
    const double share = large_decode / large_compute;
    all_ok = all_ok && share < 0.01;
    std::printf("  %s compute median %.2f ms: decode + NMS share %.3f%% (target < 1%%): %s\n",
                fs::path(large_model_path).filename().c_str(), large_compute, 100.0 * share,
                share < 0.01 ? "PASS" : "FAIL");
  }

  // COCO mAP evaluation of `images` images: adding (matching) and summarising.
  std::vector<std::vector<DetectedBox>> detections(static_cast<size_t>(images));
  std::vector<std::vector<TruthBox>> truths(static_cast<size_t>(images));
  for (int i = 0; i < images; ++i) coco_like_image(classes, rng, &detections[i], &truths[i]);
  DetectionAP ap;
  Stopwatch match;
  for (int i = 0; i < images; ++i) {
    const Status s = ap.add(detections[i], truths[i]);
    if (!s.ok()) die("mAP add: " + s.to_string());
  }
  const double match_ms = match.elapsed_ms();
  Stopwatch summary;
  const double map = ap.map(), map50 = ap.map(AreaRange::kAll, 0);
  const double small = ap.map(AreaRange::kSmall), medium = ap.map(AreaRange::kMedium),
               large = ap.map(AreaRange::kLarge);
  const double summary_ms = summary.elapsed_ms();
  std::printf("\nCOCO mAP evaluation of %d images (%lld categories, 100 detections each)\n", images,
              static_cast<long long>(classes));
  std::printf("  matching %.1f ms, summary (mAP, mAP@0.5, small/medium/large) %.1f ms, total %.2f s\n",
              match_ms, summary_ms, (match_ms + summary_ms) / 1000.0);
  std::printf("  mAP %.2f, mAP@0.5 %.2f, small %.2f, medium %.2f, large %.2f (synthetic)\n", map,
              map50, small, medium, large);
  return check && !all_ok ? 1 : 0;
}
