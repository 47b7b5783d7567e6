/// Int8 vs fp32 on a ResNet-50-class model: latency ratios (interleaved), calibration memory,
/// accuracy.
///
///   bench_quantize [--model resnet50.onnx] [--images DIR] [--runs 30] [--threads 1,2]
///                  [--memory-model resnet18.onnx] [--memory-samples 100,1000] [--skip-memory]
///                  [--skip-latency]
///                  [--format qdq|qoperator] [--method minmax|percentile|entropy]
///                  [--accuracy-model M.onnx --calib-data DIR --eval-data DIR]
///
/// Latency: fp32 and int8 sessions run alternately (A B A B ...) on the same real image and the
/// medians are compared, so machine noise hits both sides alike. Memory: `edgetier calibrate`
/// runs as a child on folders of 100 and 1,000 images and its peak RSS (ru_maxrss) is compared.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/quantize_args.h"
#include "core/clock.h"
#include "core/percentile.h"
#include "graph/model_io.h"
#include "ops/accuracy_eval.h"
#include "ops/calibrate.h"
#include "ops/quantize.h"
#include "runtime/ort_session.h"
#include "runtime/preprocess.h"

namespace fs = std::filesystem;
using namespace edgetier;

namespace {

struct Args {
  std::string model;
  std::string images = std::string(EDGETIER_SHARED_DIR) + "/paper-data/images";
  int runs = 30;
  std::vector<int> threads = {1, 2};
  std::string memory_model;
  std::vector<int> memory_samples = {100, 1000};
  bool skip_memory = false;
  bool skip_latency = false;
  QuantFormat format = QuantFormat::kQdq;
  CalibrationMethod method = CalibrationMethod::kEntropy;
  std::string accuracy_model, calib_data, eval_data;
};

std::vector<int> parse_ints(const std::string& s) {
  std::vector<int> v;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    v.push_back(std::atoi(s.substr(start, comma - start).c_str()));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return v;
}

std::string find_ref_model(const std::string& name) {
  for (const std::string dir : {std::string(EDGETIER_SOURCE_DIR) + "/build/ref-models",
                                std::string(EDGETIER_SOURCE_DIR) + "/../main/build/ref-models"}) {
    const std::string p = dir + "/" + name + ".onnx";
    if (fs::exists(p)) return p;
  }
  // Export it (offline, random weights) when torchvision is installed.
  const std::string out = std::string(EDGETIER_SOURCE_DIR) + "/build/ref-models";
  const std::string cmd = "/usr/bin/python3 " + std::string(EDGETIER_SOURCE_DIR) +
                          "/scripts/export_torchvision.py " + name + " -o " + out +
                          " >/dev/null 2>&1";
  if (fs::exists("/usr/bin/python3") && std::system(cmd.c_str()) == 0 &&
      fs::exists(out + "/" + name + ".onnx")) {
    return out + "/" + name + ".onnx";
  }
  return "";
}

std::vector<std::string> list_images(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); ++it) {
    std::string ext = it->path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    if (ext == ".jpg" || ext == ".jpeg" || ext == ".png") files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// A folder of `n` symlinks cycling through `images` (decoded for real each time).
std::string make_image_folder(const std::string& root, const std::vector<std::string>& images,
                              int n) {
  const std::string dir = root + "/images_" + std::to_string(n);
  fs::create_directories(dir);
  for (int i = 0; i < n; ++i) {
    const std::string& src = images[static_cast<size_t>(i) % images.size()];
    char name[32];
    std::snprintf(name, sizeof(name), "%05d", i);
    fs::create_symlink(src, dir + "/" + name + fs::path(src).extension().string());
  }
  return dir;
}

// Peak RSS (MiB) of `edgetier calibrate` run as a child process; -1 on failure.
double calibrate_peak_mib(const std::string& model, const std::string& data,
                          const std::string& table) {
  std::fflush(stdout);  // the child shares stdout
  const pid_t pid = fork();
  if (pid == 0) {
    execl(EDGETIER_BINARY, EDGETIER_BINARY, "--log-level", "warn", "calibrate", model.c_str(),
          "--data", data.c_str(), "-o", table.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  struct rusage usage {};
  if (pid < 0 || wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0)
    return -1.0;
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

int bench_latency(const Args& args, const std::string& fp32_path, const std::string& int8_path,
                  const Tensor& input) {
  std::printf("\n== latency: fp32 vs int8 (interleaved, median of %d runs each)\n", args.runs);
  std::printf("%8s %12s %12s %10s  %s\n", "threads", "fp32_ms", "int8_ms", "int8/fp32", "target");
  for (int threads : args.threads) {
    SessionOptions so;
    so.intra_op_threads = threads;
    auto fp32 = OrtSession::from_file(fp32_path, so);
    auto int8 = OrtSession::from_file(int8_path, so);
    if (!fp32.ok() || !int8.ok()) {
      std::fprintf(stderr, "bench_quantize: %s\n",
                   (!fp32.ok() ? fp32.status() : int8.status()).message().c_str());
      return 1;
    }
    std::vector<double> a, b;
    for (int i = 0; i < 3; ++i) {  // warm-up: arenas, caches, thread pools
      (void)(*fp32)->run({input});
      (void)(*int8)->run({input});
    }
    for (int i = 0; i < args.runs; ++i) {
      if (!(*fp32)->run({input}).ok() || !(*int8)->run({input}).ok()) return 1;
      a.push_back(ns_to_ms((*fp32)->last_run_ns()));
      b.push_back(ns_to_ms((*int8)->last_run_ns()));
    }
    const double ratio = median(b) / median(a);
    const double target = threads == 1 ? 0.60 : 1.0;
    const bool pass = threads == 1 ? ratio <= target : ratio < target;
    std::printf("%8d %12.2f %12.2f %10.3f  %s %.2f %s\n", threads, median(a), median(b), ratio,
                threads == 1 ? "<=" : "<", target, pass ? "PASS" : "FAIL");
  }
  return 0;
}

// Accuracy of int8 against fp32 for each calibration method and both formats. The evaluation
// folder is read like `edgetier quantize --eval` does: labelled datasets against their labels.
int bench_accuracy(const Args& args) {
  std::printf("\n== accuracy: %s (calibrated on %s, evaluated on %s)\n",
              args.accuracy_model.c_str(), args.calib_data.c_str(), args.eval_data.c_str());
  auto model = load_model(args.accuracy_model);
  if (!model.ok()) {
    std::fprintf(stderr, "bench_quantize: %s\n", model.status().message().c_str());
    return 1;
  }
  auto preprocess = cli::quantize_preprocess("", args.accuracy_model, *model);
  auto eval_options = cli::quantize_eval_options(args.eval_data, args.accuracy_model);
  if (!preprocess.ok() || !eval_options.ok()) {
    std::fprintf(
        stderr, "bench_quantize: %s\n",
        (!preprocess.ok() ? preprocess.status() : eval_options.status()).message().c_str());
    return 1;
  }
  eval_options->preprocess = *preprocess;
  auto eval = EvalSet::create(*model, *eval_options);
  if (!eval.ok()) {
    std::fprintf(stderr, "bench_quantize: %s\n", eval.status().message().c_str());
    return 1;
  }
  std::printf("%-10s %-9s %-5s %8s %8s %8s  %s\n", "method", "format", "metric", "fp32", "int8",
              "loss", "target");
  for (auto method :
       {CalibrationMethod::kMinMax, CalibrationMethod::kPercentile, CalibrationMethod::kEntropy}) {
    CalibrationOptions c;
    c.data_dir = args.calib_data;
    c.method = method;
    c.preprocess = *preprocess;
    auto table = calibrate(*model, c);
    if (!table.ok()) {
      std::fprintf(stderr, "bench_quantize: %s\n", table.status().message().c_str());
      return 1;
    }
    for (QuantFormat format : {QuantFormat::kQdq, QuantFormat::kQOperator}) {
      QuantizeOptions q;
      q.table = *table;
      q.format = format;
      onnx::ModelProto int8;
      Status st = quantize(*model, q, &int8);
      auto r = st.ok() ? eval->score(int8) : Result<AccuracyResult>(st);
      if (!r.ok()) {
        std::fprintf(stderr, "bench_quantize: %s\n", r.status().message().c_str());
        return 1;
      }
      const double target = r->metric == "top1" ? 0.5 : 1.0;
      std::printf("%-10s %-9s %-5s %8.2f %8.2f %8.2f  <= %.1f %s (%s, %lld samples)\n",
                  std::string(calibration_method_name(method)).c_str(),
                  std::string(quant_format_name(format)).c_str(), r->metric.c_str(), r->reference,
                  r->candidate, r->loss_points, target, r->loss_points <= target ? "PASS" : "FAIL",
                  r->labelled ? "vs labels" : "vs fp32 predictions",
                  static_cast<long long>(r->samples));
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--model")
      args.model = next();
    else if (a == "--images")
      args.images = next();
    else if (a == "--runs")
      args.runs = std::max(1, std::atoi(next().c_str()));
    else if (a == "--threads")
      args.threads = parse_ints(next());
    else if (a == "--memory-model")
      args.memory_model = next();
    else if (a == "--memory-samples")
      args.memory_samples = parse_ints(next());
    else if (a == "--skip-memory")
      args.skip_memory = true;
    else if (a == "--skip-latency")
      args.skip_latency = true;
    else if (a == "--format" || a == "--method") {
      const std::string v = next();
      if (a == "--format" && parse_quant_format(v).ok())
        args.format = *parse_quant_format(v);
      else if (a == "--method" && parse_calibration_method(v).ok())
        args.method = *parse_calibration_method(v);
      else {
        std::fprintf(stderr, "bench_quantize: bad %s '%s'\n", a.c_str(), v.c_str());
        return 2;
      }
    } else if (a == "--accuracy-model")
      args.accuracy_model = next();
    else if (a == "--calib-data")
      args.calib_data = next();
    else if (a == "--eval-data")
      args.eval_data = next();
    else {
      std::fprintf(
          stderr,
          "usage: %s [--model M] [--images DIR] [--runs N] [--threads 1,2] [--memory-model M] "
          "[--memory-samples 100,1000] [--skip-memory] [--skip-latency] [--format qdq|qoperator] "
          "[--method M] [--accuracy-model M --calib-data D --eval-data D]\n",
          argv[0]);
      return 2;
    }
  }
  const bool accuracy_only = args.skip_latency && args.skip_memory && !args.accuracy_model.empty();
  if (args.model.empty() && !accuracy_only) args.model = find_ref_model("resnet50");
  if (!accuracy_only && (args.model.empty() || !fs::exists(args.model))) {
    std::printf(
        "bench_quantize: no ResNet-50 model found (build/ref-models/resnet50.onnx); create it "
        "with\n"
        "  /usr/bin/python3 scripts/export_torchvision.py resnet50 -o build/ref-models\n"
        "or pass --model PATH. Skipping.\n");
    return 0;
  }
  const std::vector<std::string> images = list_images(args.images);
  if (images.empty()) {
    std::printf("bench_quantize: no images under '%s'; pass --images DIR. Skipping.\n",
                args.images.c_str());
    return 0;
  }
  const std::string tmp =
      (fs::temp_directory_path() / ("bench_quantize_" + std::to_string(getpid()))).string();
  fs::create_directories(tmp);
  std::printf("model %s, calibration/timing images %s (%zu), ONNX Runtime %s\n",
              accuracy_only ? "-" : args.model.c_str(), args.images.c_str(), images.size(),
              ort_version().c_str());

  int rc = 0;
  if (!args.skip_latency) {
    auto model = load_model(args.model);
    if (!model.ok()) {
      std::fprintf(stderr, "bench_quantize: %s\n", model.status().message().c_str());
      return 1;
    }
    const std::string calib_dir = make_image_folder(tmp, images, static_cast<int>(images.size()));
    CalibrationOptions c;
    c.data_dir = calib_dir;
    c.method = args.method;
    Stopwatch watch;
    auto table = calibrate(*model, c);
    if (!table.ok()) {
      std::fprintf(stderr, "bench_quantize: %s\n", table.status().message().c_str());
      return 1;
    }
    const double calib_s = watch.elapsed_ms() / 1000.0;
    QuantizeOptions q;
    q.table = *table;
    q.format = args.format;
    onnx::ModelProto int8;
    watch.restart();
    Status st = quantize(*model, q, &int8);
    const std::string int8_path = tmp + "/int8.onnx";
    if (st.ok()) st = save_model(int8, int8_path);
    if (!st.ok()) {
      std::fprintf(stderr, "bench_quantize: %s\n", st.message().c_str());
      return 1;
    }
    std::printf(
        "calibrated (%s) %zu tensors on %lld images in %.1f s; quantized (%s, uint8 activations, "
        "per-channel "
        "int8 weights) in %.1f s\n",
        std::string(calibration_method_name(args.method)).c_str(), table->tensors.size(),
        static_cast<long long>(table->samples), calib_s,
        std::string(quant_format_name(args.format)).c_str(), watch.elapsed_ms() / 1000.0);
    auto session = OrtSession::from_file(args.model);
    if (!session.ok()) return 1;
    const auto& in = (*session)->inputs()[0];
    auto input =
        load_image_tensor(images[0], PreprocessSpec::for_input(in.name, in.shape[2], in.shape[3]));
    if (!input.ok()) {
      std::fprintf(stderr, "bench_quantize: %s\n", input.status().message().c_str());
      return 1;
    }
    session->reset();
    rc = bench_latency(args, args.model, int8_path, *input);
  }

  if (!args.skip_memory && rc == 0) {
    std::string mem_model =
        args.memory_model.empty() ? find_ref_model("resnet18") : args.memory_model;
    if (mem_model.empty()) mem_model = args.model;
    std::printf("\n== calibration peak memory (edgetier calibrate as a child, %s)\n",
                mem_model.c_str());
    std::vector<double> peaks;
    for (int n : args.memory_samples) {
      const std::string dir = make_image_folder(tmp, images, n);
      Stopwatch watch;
      const double mib =
          calibrate_peak_mib(mem_model, dir, tmp + "/table_" + std::to_string(n) + ".json");
      std::printf("%6d images: peak RSS %8.1f MiB  (%.0f s)\n", n, mib,
                  watch.elapsed_ms() / 1000.0);
      peaks.push_back(mib);
    }
    if (peaks.size() >= 2 && peaks.front() > 0 && peaks.back() > 0) {
      const double ratio = peaks.back() / peaks.front();
      std::printf("peak(%d)/peak(%d) = %.3f  target <= 1.20 %s\n", args.memory_samples.back(),
                  args.memory_samples.front(), ratio, ratio <= 1.2 ? "PASS" : "FAIL");
    }
  }
  if (!args.accuracy_model.empty()) {
    if (args.calib_data.empty()) args.calib_data = args.eval_data;
    if (rc == 0) rc = bench_accuracy(args);
  }
  std::error_code ec;
  fs::remove_all(tmp, ec);
  return rc;
}
