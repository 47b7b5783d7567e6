/// The model zoo: public torchvision architectures through `variants --verify` with the default
/// options, one table row per model (chains built, chains not applicable and why, verify per
/// chain, int8/fp32 at 1 thread measured interleaved, partition max diff), then the targets.
///
///   /usr/bin/python3 scripts/export_torchvision.py --zoo --init both --opset 13 17 -o build/zoo
///   ./build/bench_zoo build/zoo [--filter SUBSTRING[,...]] [--runs 9] [--keep DIR] [--binary B]
///
/// With --detect, the public detectors (ssdlite320, retinanet_resnet50_fpn at 320 px, YOLO-style
/// raw heads; `export_torchvision.py --detect`) through `variants --ops I,Q,P --cut auto --task
/// detect --verify`, verify in mAP points against the float model.
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/files.h"
#include "core/percentile.h"
#include "graph/model_io.h"
#include "ops/manifest.h"
#include "ops/speed_check.h"

namespace {

namespace fs = std::filesystem;
using edgetier::median;
using edgetier::ScopedTempDir;

struct Args {
  std::string dir = "build/zoo";
  std::string filter;
  int runs = 9;
  std::string keep;  // keep the variants here instead of a temporary folder
  std::string binary = EDGETIER_BINARY;  // a copy keeps a long run safe from rebuilds
  bool detect = false;  // the detectors: I, Q, P scored by mAP
};

/// --filter A,B: models whose path contains any of them.
bool selected(const std::string& path, const std::string& filter) {
  if (filter.empty()) return true;
  size_t start = 0;
  while (start <= filter.size()) {
    const size_t end = std::min(filter.find(',', start), filter.size());
    const std::string part = filter.substr(start, end - start);
    if (!part.empty() && path.find(part) != std::string::npos) return true;
    start = end + 1;
  }
  return false;
}

/// stdout of a command, and its exit code.
std::pair<int, std::string> capture(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {-1, out};
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string part_path(const std::string& variant_dir) {
  auto m = edgetier::read_manifest(variant_dir);
  if (!m.ok() || m->parts.size() != 1) return "";
  return variant_dir + "/" + m->parts[0].file;
}

/// A short reason for the table: the first clause of the message.
std::string short_reason(const std::string& why) {
  if (why.find("no skippable region") != std::string::npos) return "no skippable region";
  if (why.find("does not narrow to the exit") != std::string::npos) return "exit is not a cut";
  if (why.find("max_flops_share") != std::string::npos) return "exit over the FLOPs cap";
  if (why.find("no cut has between") != std::string::npos) return "no cut in the window";
  return why.substr(0, 60);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--filter") {
      args.filter = next();
    } else if (a == "--runs") {
      args.runs = std::max(3, std::atoi(next().c_str()));
    } else if (a == "--binary") {
      args.binary = next();
    } else if (a == "--keep") {
      args.keep = next();
    } else if (a == "--detect") {
      args.detect = true;
      if (args.dir == "build/zoo") args.dir = "build/det-zoo";
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: %s [ZOO_DIR] [--detect] [--filter S[,S...]] [--runs N] [--keep DIR] "
                  "[--binary EDGETIER]\n", argv[0]);
      return 0;
    } else {
      args.dir = a;
    }
  }
  std::error_code ec;
  if (!fs::exists(args.dir, ec)) {
    // The zoo is exported here, not downloaded: Debian's torch builds the graphs.
    const std::string cmd = "/usr/bin/python3 " + std::string(EDGETIER_SOURCE_DIR) +
                            "/scripts/export_torchvision.py " +
                            (args.detect ? "--detect" : "--zoo") +
                            " --init both --opset 13 17 -o " + args.dir;
    std::printf("bench_zoo: exporting the zoo: %s\n", cmd.c_str());
    std::fflush(stdout);
    if (std::system(cmd.c_str()) != 0) {
      std::fprintf(stderr, "bench_zoo: the export failed (is Debian's python3-torch installed?)\n");
      return 1;
    }
  }
  std::vector<std::string> models;
  for (const auto& e : fs::directory_iterator(args.dir, ec)) {
    const std::string p = e.path().string();
    if (e.path().extension() == ".onnx" && selected(p, args.filter))
      models.push_back(p);
  }
  std::sort(models.begin(), models.end());
  if (models.empty()) {
    std::fprintf(stderr,
                 "bench_zoo: no .onnx models in '%s'; export them with /usr/bin/python3 "
                 "scripts/export_torchvision.py --zoo --init both --opset 13 17 -o %s\n",
                 args.dir.c_str(), args.dir.c_str());
    return 1;
  }
  ScopedTempDir tmp("edgetier-bench-zoo");
  const std::string root = args.keep.empty() ? tmp.path() : args.keep;

  std::printf("%-44s %-26s %-34s %-30s %9s %10s\n", "model", "built", "not applicable",
              "verify (agreement pt, P/I bit-identical)", "int8/fp32", "P maxdiff");
  std::vector<double> ratios;
  int failures = 0, slower = 0;
  std::map<std::string, double> by_model;
  for (const auto& model : models) {
    const std::string name = fs::path(model).stem().string();
    const std::string out = root + "/" + name;
    auto [code, text] = capture(args.binary +
                                " --log-level warn variants '" + model + "' -o '" + out + "'" +
                                (args.detect ? " --ops I,Q,P --cut auto --task detect" : "") +
                                " --verify --verify-samples 4 --json 2>/dev/null");
    nlohmann::json rows = nlohmann::json::parse(text, nullptr, false);
    if (code != 0 || !rows.is_array()) {
      ++failures;
      std::printf("%-44s FAILED (exit %d)\n", name.c_str(), code);
      continue;
    }
    std::string built, missing, verify;
    double p_diff = -1.0;
    for (const auto& r : rows) {
      const std::string ops = r["ops"];
      if (r.contains("error")) ++failures;
      if (!r.value("built", false)) {
        missing += (missing.empty() ? "" : ", ") + ops + ": " +
                   short_reason(r.value("not_applicable", r.value("error", std::string())));
        continue;
      }
      built += (built.empty() ? "" : ",") + ops;
      const auto& v = r["verify"];
      if (v.contains("error")) {
        ++failures;
        verify += " " + ops + "=ERR";
        continue;
      }
      const double pts = v.value("top1_agreement", -1.0) >= 0 ? v.value("top1_agreement", 0.0)
                         : v.value("agree_map", -1.0) >= 0 ? v.value("agree_map", 0.0)
                                                           : v.value("miou", 0.0);
      if (ops == "P" || ops == "I") {
        if (!v.value("bit_identical", false)) ++failures;
        if (ops == "P") p_diff = v.value("max_abs_diff", -1.0);
        verify += " " + ops + (v.value("bit_identical", false) ? "=bit" : "=DIFF");
      } else {
        char buf[32];
        std::snprintf(buf, sizeof(buf), " %s=%.0f", ops.c_str(), pts);
        verify += buf;
      }
    }
    double ratio = -1.0;
    const std::string fp32 = part_path(out + "/I"), int8 = part_path(out + "/Q");
    auto a = edgetier::load_model(fp32);
    auto b = edgetier::load_model(int8);
    if (a.ok() && b.ok()) {
      edgetier::SpeedCheckOptions so;
      so.runs = args.runs;
      so.threads = 1;
      auto check = edgetier::check_speed(*a, *b, so);
      if (check.ok()) ratio = check->ratio();
    }
    if (ratio > 0) {
      ratios.push_back(ratio);
      by_model[name] = ratio;
      if (ratio > 1.0) ++slower;
    }
    std::printf("%-44s %-26s %-34s %-30s %9.2f %10.3g\n", name.c_str(), built.c_str(),
                missing.empty() ? "-" : missing.c_str(), verify.c_str(), ratio, p_diff);
    std::fflush(stdout);
  }
  const double med = median(ratios);
  const double worst = ratios.empty() ? 0.0 : *std::max_element(ratios.begin(), ratios.end());
  std::printf("\nmodels %zu, failures %d\n", models.size(), failures);
  std::printf("int8/fp32 at 1 thread: median %.2f (target <= 0.60: %s), max %.2f (target <= 1.0: "
              "%s), %d model(s) slower in int8\n",
              med, med <= 0.60 ? "PASS" : "FAIL", worst, worst <= 1.0 ? "PASS" : "FAIL", slower);
  for (const auto& [name, r] : by_model) {
    if (name.rfind("resnet50-plain", 0) == 0)
      std::printf("%s: int8/fp32 %.2f (target <= 0.45: %s)\n", name.c_str(), r,
                  r <= 0.45 ? "PASS" : "FAIL");
  }
  return failures == 0 ? 0 : 1;
}
