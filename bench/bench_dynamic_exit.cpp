/// Dynamic early exit trade-off: for each threshold, accuracy (against labels.csv when the data
/// has one, and agreement with the full model) versus compute time relative to the full model,
/// all measured in one run from per-part times of the same inputs. Raising the threshold must
/// never lower the agreement nor the time ratio (fewer inputs stop early).
///
///   bench_dynamic_exit [--model models/demo_classifier.onnx] [--data DIR] [--exit-at T] [--limit
///   N]
///
/// DIR is an `edgetier data synth --task classify` folder (images/ + labels.csv) or any folder of
/// images / .npy tensors; without it, fresh synthetic images are drawn in memory (seed 2).
/// Preprocessing comes from the model's sidecar <model>.json when present.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/log.h"
#include "experiment/synth.h"
#include "graph/cuts.h"
#include "graph/graph_view.h"
#include "graph/model_io.h"
#include "ops/dynamic_exit.h"
#include "ops/trunk.h"
#include "runtime/part_runner.h"
#include "runtime/preprocess.h"

namespace fs = std::filesystem;
using namespace edgetier;

namespace {

struct Sample {
  std::string file;
  int label = -1;
};

std::vector<Sample> list_samples(const std::string& dir, int limit) {
  std::vector<Sample> out;
  std::ifstream labels(dir + "/labels.csv");
  std::string line;
  if (labels && std::getline(labels, line)) {  // header "file,label"
    while (std::getline(labels, line)) {
      const size_t comma = line.find(',');
      if (comma == std::string::npos) continue;
      out.push_back({dir + "/" + line.substr(0, comma), std::atoi(line.c_str() + comma + 1)});
    }
  } else {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string ext = e.path().extension().string();
      if (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".JPEG" || ext == ".npy") {
        out.push_back({e.path().string(), -1});
      }
    }
    std::sort(out.begin(), out.end(),
              [](const Sample& a, const Sample& b) { return a.file < b.file; });
  }
  if (limit > 0 && static_cast<int>(out.size()) > limit) out.resize(static_cast<size_t>(limit));
  return out;
}

int argmax(const Tensor& t) {
  const float* x = t.data_as<float>();
  return static_cast<int>(std::max_element(x, x + t.num_elements()) - x);
}

int fail(const Status& st) {
  std::fprintf(stderr, "bench_dynamic_exit: %s\n", st.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_path = std::string(EDGETIER_SOURCE_DIR) + "/models/demo_classifier.onnx";
  std::string data, exit_at;
  int limit = 0;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--model") && i + 1 < argc)
      model_path = argv[++i];
    else if (!std::strcmp(argv[i], "--data") && i + 1 < argc)
      data = argv[++i];
    else if (!std::strcmp(argv[i], "--exit-at") && i + 1 < argc)
      exit_at = argv[++i];
    else if (!std::strcmp(argv[i], "--limit") && i + 1 < argc)
      limit = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s [--model M.onnx] [--data DIR] [--exit-at T] [--limit N]\n",
                   argv[0]);
      return 2;
    }
  }
  set_log_level(LogLevel::kWarn);
  if (!fs::exists(model_path)) {
    std::printf("skipped: model %s not found (pass --model)\n", model_path.c_str());
    return 0;
  }
  if (!data.empty() && !fs::is_directory(data))
    return fail(not_found("--data '" + data + "' is not a folder"));
  auto model = load_model(model_path);
  if (!model.ok()) return fail(model.status());
  auto view = GraphView::build(model->graph());
  auto shapes = infer_shapes(*model);
  if (!view.ok() || !shapes.ok()) return fail(view.ok() ? shapes.status() : view.status());
  if (exit_at.empty()) {
    // Default: exit before the last stage's first skippable block (skipping all of them).
    auto analysis = analyze_cuts(*view, *shapes);
    if (!analysis.ok()) return fail(analysis.status());
    auto trunk = last_stage_trunk(*view, *shapes, *analysis);
    if (!trunk.ok()) return fail(trunk.status());
    exit_at = trunk->tensors[static_cast<size_t>(trunk->block_ends.front() - 1)];
  }
  std::vector<onnx::ModelProto> parts;
  ExitPolicy policy;
  Status st = dynamic_exit(*model, {exit_at, "", 0.0, "classify", {}}, &parts, &policy);
  if (!st.ok()) return fail(st);

  SessionOptions so;  // 1 thread, full optimisation: what a tier runs
  so.intra_op_threads = 1;
  auto full = OrtSession::from_file(model_path, so);
  if (!full.ok()) return fail(full.status());
  std::vector<std::unique_ptr<OrtSession>> sessions;
  for (size_t i = 0; i < parts.size(); ++i) {
    auto bytes = serialize_model(parts[i]);
    if (!bytes.ok()) return fail(bytes.status());
    auto s = OrtSession::from_bytes(*bytes, so, "part" + std::to_string(i));
    if (!s.ok()) return fail(s.status());
    sessions.push_back(std::move(*s));
  }
  const TensorInfo input = (*full)->inputs()[0];
  PreprocessSpec spec = PreprocessSpec::for_input(input.name, input.shape[2], input.shape[3]);
  {
    std::ifstream sidecar(fs::path(model_path).replace_extension(".json"));
    if (sidecar) {
      auto j = nlohmann::json::parse(sidecar, nullptr, false);
      if (!j.is_discarded() && j.contains("preprocess")) {
        auto p = preprocess_from_json(j["preprocess"]);
        if (p.ok()) spec = *p;
      }
    }
  }

  struct Measure {
    int label, full_class, early_class;
    double confidence, full_ms, trunk_ms, head_ms, rest_ms;
  };
  std::vector<Measure> m;
  // Without --data: fresh synthetic images (seed 2, the demo models' held-out seed), in memory.
  const bool synthetic = data.empty();
  const std::vector<Sample> samples =
      synthetic ? std::vector<Sample>(static_cast<size_t>(limit > 0 ? limit : 300))
                : list_samples(data, limit);
  if (samples.empty()) return fail(not_found("no samples in " + data));
  SynthOptions synth;
  synth.seed = 2;
  for (size_t k = 0; k <= samples.size(); ++k) {
    // Pass 0 runs the first sample once to warm every session up; it is not counted.
    const size_t index = k == 0 ? 0 : k - 1;
    const Sample& sample = samples[index];
    Result<Tensor> t = not_found("no input");
    int label = sample.label;
    if (synthetic) {
      auto s = synth_sample(synth, static_cast<int64_t>(index));
      if (!s.ok()) return fail(s.status());
      std::vector<uchar> png;
      cv::imencode(".png", s->image, png);
      t = decode_and_preprocess(std::string(png.begin(), png.end()), spec);
      label = s->label;
    } else {
      t = fs::path(sample.file).extension() == ".npy" ? load_npy(sample.file, input.name)
                                                      : load_image_tensor(sample.file, spec);
    }
    if (!t.ok()) return fail(t.status());
    Measure r{};
    r.label = label;
    // Full model and parts run back to back; the order alternates so neither side always
    // finds the warmer caches.
    auto run_full = [&]() -> Status {
      ASSIGN_OR_RETURN(auto f, (*full)->run({*t}));
      r.full_ms = (*full)->last_run_ns() / 1e6;
      r.full_class = argmax(f[0]);
      return ok_status();
    };
    if (k % 2 == 0) {
      st = run_full();
      if (!st.ok()) return fail(st);
    }
    auto trunk = sessions[0]->run({*t});
    if (!trunk.ok()) return fail(trunk.status());
    r.trunk_ms = sessions[0]->last_run_ns() / 1e6;
    auto head = sessions[1]->run(*trunk);
    if (!head.ok()) return fail(head.status());
    r.head_ms = sessions[1]->last_run_ns() / 1e6;
    auto rest = sessions[2]->run(*trunk);
    if (!rest.ok()) return fail(rest.status());
    r.rest_ms = sessions[2]->last_run_ns() / 1e6;
    r.early_class = argmax((*head)[0]);
    auto c = exit_confidence((*head)[0], policy.measure);
    if (!c.ok()) return fail(c.status());
    r.confidence = *c;
    if (k % 2 == 1) {
      st = run_full();
      if (!st.ok()) return fail(st);
    }
    if (k > 0) m.push_back(r);
  }
  if (m.empty()) return fail(not_found("no samples in " + data));
  const bool labelled = m.front().label >= 0;
  double full_ms = 0.0;
  int full_correct = 0;
  for (const auto& r : m) {
    full_ms += r.full_ms;
    full_correct += r.full_class == r.label;
  }
  std::printf(
      "%s: exit at %s, %zu samples, full model %.3f ms/sample%s\n", model_path.c_str(),
      exit_at.c_str(), m.size(), full_ms / m.size(),
      labelled ? (", top-1 " + std::to_string(100.0 * full_correct / m.size()) + "%").c_str() : "");
  std::printf("  threshold  exit-rate  time/full  agreement%s\n", labelled ? "  top-1" : "");
  double last_ratio = -1.0, last_agreement = -1.0, last_accuracy = -1.0;
  bool monotone = true, accuracy_monotone = true;
  for (double threshold : {0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0}) {
    int exits = 0, agree = 0, correct = 0;
    double ms = 0.0;
    for (const auto& r : m) {
      const bool stop = r.confidence >= threshold;
      const int answer = stop ? r.early_class : r.full_class;
      exits += stop;
      agree += answer == r.full_class;
      correct += answer == r.label;
      ms += r.trunk_ms + r.head_ms + (stop ? 0.0 : r.rest_ms);
    }
    const double ratio = ms / full_ms, agreement = static_cast<double>(agree) / m.size();
    const double accuracy = static_cast<double>(correct) / m.size();
    monotone = monotone && ratio >= last_ratio - 1e-12 && agreement >= last_agreement;
    accuracy_monotone = accuracy_monotone && accuracy >= last_accuracy;
    last_ratio = ratio;
    last_agreement = agreement;
    last_accuracy = accuracy;
    std::printf("  %9.3f  %8.1f%%  %9.3f  %8.1f%%", threshold, 100.0 * exits / m.size(), ratio,
                100.0 * agreement);
    if (labelled) std::printf("  %5.1f%%", 100.0 * accuracy);
    std::printf("\n");
  }
  std::printf("agreement and time ratio monotone in the threshold: %s%s\n", monotone ? "yes" : "NO",
              labelled
                  ? (std::string("; top-1 monotone: ") + (accuracy_monotone ? "yes" : "no")).c_str()
                  : "");
  return monotone ? 0 : 1;
}
