/// Partition and early-exit checks on torchvision exports (made locally by
/// scripts/export_torchvision.py, never committed): every single-tensor cut of ResNet-18,
/// ResNet-50 and FCN-ResNet50 must give parts whose chained outputs are bit-identical to the
/// whole model; a few 3-part splits must stay within 1e-5; the study's ResNet-50 skip must remove
/// exactly blocks layer4.1 and layer4.2. Also prints the parts/whole compute ratio measured side by
/// side with ONNX Runtime's full optimisation.
///
///   bench_partition [--models DIR] [--only NAME] [--max-cuts N]
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "core/percentile.h"
#include "graph/cuts.h"
#include "graph/graph_view.h"
#include "graph/model_io.h"
#include "graph/shapes.h"
#include "ops/early_exit.h"
#include "ops/partition.h"
#include "runtime/part_runner.h"
#include "runtime/preprocess.h"

namespace fs = std::filesystem;
using namespace edgetier;

namespace {

struct Args {
  std::string models = std::string(EDGETIER_SOURCE_DIR) + "/build/ref-models";
  std::string only;
  int max_cuts = 0;  // 0: all
};

SessionOptions settings(GraphOptLevel level) {
  SessionOptions so;
  so.intra_op_threads = 1;
  so.inter_op_threads = 1;
  so.graph_opt_level = level;
  return so;
}

/// A real ImageNet photo from the study when available, else seeded noise.
Tensor model_input(const TensorInfo& info) {
  const fs::path images = fs::path(EDGETIER_SHARED_DIR) / "paper-data/images/imagenet";
  std::error_code ec;
  if (info.shape.size() == 4 && fs::is_directory(images, ec)) {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(images, ec)) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    if (!files.empty()) {
      auto t = load_image_tensor(
          files[0], PreprocessSpec::for_input(info.name, info.shape[2], info.shape[3]));
      if (t.ok()) return *t;
    }
  }
  Tensor t = Tensor::zeros(info.name, DType::kFloat32, info.shape);
  uint32_t state = 12345;
  for (size_t i = 0; i < t.num_elements(); ++i) {
    state = state * 1664525u + 1013904223u;
    t.data_as<float>()[i] = static_cast<float>(state >> 8) / 16777216.0f - 0.5f;
  }
  return t;
}

Result<std::vector<Tensor>> run_whole(const std::string& bytes, const std::vector<Tensor>& inputs,
                                      GraphOptLevel level, int64_t* ns) {
  ASSIGN_OR_RETURN(auto session, OrtSession::from_bytes(bytes, settings(level), "whole"));
  ASSIGN_OR_RETURN(auto out, session->run(inputs));
  ASSIGN_OR_RETURN(out, session->run(inputs));  // second run: warm
  *ns = session->last_run_ns();
  return out;
}

/// Runs the parts in sequence. With `whole`, the whole model and the parts run alternately
/// three times and `ns` / `whole_ns` get the fastest of each (side by side, same conditions).
Result<std::vector<Tensor>> run_split(const std::vector<onnx::ModelProto>& parts,
                                      const std::vector<Tensor>& inputs, GraphOptLevel level,
                                      int64_t* ns, OrtSession* whole = nullptr,
                                      int64_t* whole_ns = nullptr) {
  std::vector<std::string> models, labels;
  for (size_t i = 0; i < parts.size(); ++i) {
    ASSIGN_OR_RETURN(std::string b, serialize_model(parts[i]));
    models.push_back(std::move(b));
    labels.push_back("part" + std::to_string(i));
  }
  ASSIGN_OR_RETURN(auto runner, PartRunner::from_bytes(models, labels, settings(level)));
  ASSIGN_OR_RETURN(auto r, runner->run(inputs));  // warm-up
  *ns = INT64_MAX;
  if (whole_ns) *whole_ns = INT64_MAX;
  for (int rep = 0; rep < (whole ? 3 : 1); ++rep) {
    if (whole) {
      ASSIGN_OR_RETURN(auto w, whole->run(inputs));
      *whole_ns = std::min(*whole_ns, whole->last_run_ns());
    }
    ASSIGN_OR_RETURN(r, runner->run(inputs));
    int64_t total = 0;
    for (int64_t t : r.part_ns) total += t;
    *ns = std::min(*ns, total);
  }
  return r.outputs;
}

bool identical(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].shape != b[i].shape || a[i].data != b[i].data) return false;
  }
  return true;
}

/// max |a - b| / max |a| over the float outputs.
double relative_diff(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  double worst = 0.0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i].dtype != DType::kFloat32 || a[i].data.size() != b[i].data.size()) continue;
    double scale = 0.0, d = 0.0;
    for (size_t k = 0; k < a[i].num_elements(); ++k) {
      scale = std::max(scale, std::fabs(double(a[i].data_as<float>()[k])));
      d = std::max(d, std::fabs(double(a[i].data_as<float>()[k]) - b[i].data_as<float>()[k]));
    }
    worst = std::max(worst, scale > 0 ? d / scale : d);
  }
  return worst;
}

/// Returns the number of failed checks.
int check_model(const std::string& name, const std::string& path, const Args& args) {
  auto model = load_model(path);
  if (!model.ok()) {
    std::printf("%s: %s\n", name.c_str(), model.status().message().c_str());
    return 1;
  }
  auto view = GraphView::build(model->graph());
  auto shapes = infer_shapes(*model);
  auto analysis = analyze_cuts(*view, *shapes);
  auto bytes = serialize_model(*model);
  if (!view.ok() || !shapes.ok() || !analysis.ok() || !bytes.ok()) {
    std::printf("%s: cannot analyse the model\n", name.c_str());
    return 1;
  }
  const std::vector<Tensor> inputs = {model_input(shapes->at(view->inputs()[0]))};
  int64_t whole_exact_ns = 0, whole_all_ns = 0;
  auto whole_exact = run_whole(*bytes, inputs, GraphOptLevel::kDisabled, &whole_exact_ns);
  auto whole_all = run_whole(*bytes, inputs, GraphOptLevel::kAll, &whole_all_ns);
  auto whole_session = OrtSession::from_bytes(*bytes, settings(GraphOptLevel::kAll), "whole");
  if (!whole_exact.ok() || !whole_all.ok() || !whole_session.ok()) {
    std::printf("%s: whole model failed to run\n", name.c_str());
    return 1;
  }
  std::vector<Cut> singles;
  for (const auto& c : analysis->cuts) {
    if (c.single()) singles.push_back(c);
  }
  if (args.max_cuts > 0 && static_cast<int>(singles.size()) > args.max_cuts)
    singles.resize(args.max_cuts);
  int exact = 0, identical_all = 0, failures = 0;
  double worst_all = 0.0;
  std::vector<double> ratios;
  Stopwatch watch;
  for (const auto& cut : singles) {
    std::vector<onnx::ModelProto> parts;
    Status st = partition(*model, {{cut.names()}}, &parts);
    if (!st.ok()) {
      std::printf("  FAIL %s: %s\n", cut.names()[0].c_str(), st.message().c_str());
      ++failures;
      continue;
    }
    int64_t ns_exact = 0, ns_all = 0, ns_whole = 1;
    auto split_exact = run_split(parts, inputs, GraphOptLevel::kDisabled, &ns_exact);
    auto split_all =
        run_split(parts, inputs, GraphOptLevel::kAll, &ns_all, whole_session->get(), &ns_whole);
    if (!split_exact.ok() || !split_all.ok()) {
      std::printf("  FAIL %s: parts did not run\n", cut.names()[0].c_str());
      ++failures;
      continue;
    }
    if (identical(*whole_exact, *split_exact)) {
      ++exact;
    } else {
      std::printf("  FAIL %s: parts differ from the whole model (rel %.3g)\n",
                  cut.names()[0].c_str(), relative_diff(*whole_exact, *split_exact));
      ++failures;
    }
    identical_all += identical(*whole_all, *split_all);
    worst_all = std::max(worst_all, relative_diff(*whole_all, *split_all));
    ratios.push_back(static_cast<double>(ns_all) /
                     static_cast<double>(std::max<int64_t>(1, ns_whole)));
  }
  std::printf(
      "%-13s %3zu single-tensor cuts: %3d bit-identical (1 thread, no graph rewrites); with "
      "ORT_ENABLE_ALL %d "
      "bit-identical, max rel diff %.2e, parts/whole compute median %.3f  [%.0f s]\n",
      name.c_str(), singles.size(), exact, identical_all, worst_all, median(ratios),
      watch.elapsed_ms() / 1e3);
  if (worst_all > 1e-5) ++failures;

  // 3-part splits: pairs of single cuts at roughly 1/3 and 2/3 of the list.
  int three_checked = 0;
  double worst_three = 0.0;
  for (size_t a = singles.size() / 4; a < singles.size() / 2 && three_checked < 3;
       a += std::max<size_t>(1, singles.size() / 8)) {
    const size_t b = a + singles.size() / 3;
    if (b >= singles.size()) break;
    std::vector<onnx::ModelProto> parts;
    if (!partition(*model, {{singles[a].names(), singles[b].names()}}, &parts).ok()) {
      ++failures;
      continue;
    }
    int64_t ns = 0;
    auto e = run_split(parts, inputs, GraphOptLevel::kDisabled, &ns);
    auto o = run_split(parts, inputs, GraphOptLevel::kAll, &ns);
    if (!e.ok() || !o.ok() || !identical(*whole_exact, *e)) ++failures;
    if (o.ok()) worst_three = std::max(worst_three, relative_diff(*whole_all, *o));
    ++three_checked;
  }
  std::printf(
      "%-13s %3d three-part splits: max rel diff %.2e with ORT_ENABLE_ALL (bit-identical without "
      "rewrites)\n",
      name.c_str(), three_checked, worst_three);
  if (worst_three > 1e-5) ++failures;
  return failures;
}

/// The study's static exit on ResNet-50: layer4.0/Add -> layer4.2/Add, blocks layer4.1 and
/// layer4.2 removed (layer4.0's last ReLU too, layer4.2's last ReLU kept: the study's choice).
int check_study_skip(const std::string& path) {
  auto model = load_model(path);
  if (!model.ok()) return 1;
  EarlyExitOptions options;
  options.skip_last = 2;
  onnx::ModelProto exited;
  EarlyExitReport report;
  Status st = early_exit(*model, options, &exited, &report);
  if (!st.ok()) {
    std::printf("study skip: FAIL %s\n", st.message().c_str());
    return 1;
  }
  std::set<std::string> expected = {"/layer4/layer4.0/relu_2/Relu"};
  for (const auto& n : model->graph().node()) {
    const std::string& nm = n.name();
    if (nm.rfind("/layer4/layer4.1/", 0) == 0) expected.insert(nm);
    if (nm.rfind("/layer4/layer4.2/", 0) == 0 && nm != "/layer4/layer4.2/relu_2/Relu")
      expected.insert(nm);
  }
  const std::set<std::string> removed(report.removed_nodes.begin(), report.removed_nodes.end());
  const bool names_ok = report.from == "/layer4/layer4.0/Add_output_0" &&
                        report.to == "/layer4/layer4.2/Add_output_0";
  const bool region_ok = removed == expected;
  auto shapes_before = infer_shapes(*model);
  auto shapes_after = infer_shapes(exited);
  const bool shape_ok = shapes_before.ok() && shapes_after.ok() &&
                        shapes_before->at("output").shape == shapes_after->at("output").shape;
  bool runs = false;
  int64_t ee_ns = 0, full_ns = 0;
  auto eb = serialize_model(exited);
  auto fb = serialize_model(*model);
  if (eb.ok() && fb.ok() && shapes_before.ok()) {
    const std::vector<Tensor> inputs = {model_input(shapes_before->at("input"))};
    auto o = run_whole(*eb, inputs, GraphOptLevel::kAll, &ee_ns);
    auto f = run_whole(*fb, inputs, GraphOptLevel::kAll, &full_ns);
    runs = o.ok() && f.ok() && o->at(0).shape == std::vector<int64_t>{1, 1000};
  }
  std::printf(
      "study skip (resnet50 --skip-last 2): %s -> %s, %zu nodes removed (expected %zu: %s), output "
      "shape %s, "
      "runs %s, EE/full compute %.3f\n",
      report.from.c_str(), report.to.c_str(), removed.size(), expected.size(),
      region_ok ? "exact" : "MISMATCH", shape_ok ? "kept" : "CHANGED", runs ? "yes" : "NO",
      static_cast<double>(ee_ns) / static_cast<double>(std::max<int64_t>(1, full_ns)));
  return (names_ok && region_ok && shape_ok && runs) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--models") && i + 1 < argc)
      args.models = argv[++i];
    else if (!std::strcmp(argv[i], "--only") && i + 1 < argc)
      args.only = argv[++i];
    else if (!std::strcmp(argv[i], "--max-cuts") && i + 1 < argc)
      args.max_cuts = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s [--models DIR] [--only NAME] [--max-cuts N]\n", argv[0]);
      return 2;
    }
  }
  set_log_level(LogLevel::kWarn);
  int failures = 0, checked = 0;
  for (const std::string name : {"resnet18", "resnet50", "fcn_resnet50"}) {
    if (!args.only.empty() && args.only != name) continue;
    const std::string path = args.models + "/" + name + ".onnx";
    if (!fs::exists(path)) {
      std::printf(
          "%-13s skipped: %s not found (make it with /usr/bin/python3 "
          "scripts/export_torchvision.py %s -o %s)\n",
          name.c_str(), path.c_str(), name.c_str(), args.models.c_str());
      continue;
    }
    ++checked;
    failures += check_model(name, path, args);
    if (name == "resnet50") failures += check_study_skip(path);
  }
  if (checked == 0) std::printf("no reference exports found; nothing checked\n");
  std::printf("%s\n", failures == 0 ? "all checks passed" : "CHECKS FAILED");
  return failures == 0 ? 0 : 1;
}
