/// `edgetier verify REFERENCE.onnx VARIANT_DIR --data DIR`: compare a variant with its reference.
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "experiment/detection_labels.h"
#include "cli/ops_common.h"
#include "ops/verify.h"

namespace edgetier::cli {

std::function<int()> setup_verify(CLI::App* app) {
  struct Args {
    std::string reference;
    std::string variant;
    VerifyOptions options;
    int threads = 1;
    std::string opt_level = "all";
    std::string preprocess;
    std::string labels;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  app->add_option("reference", args->reference, "The reference (float) ONNX model")->required();
  app->add_option("variant", args->variant, "A variant directory (parts + manifest.json)")
      ->required();
  app->add_option("--data", args->options.data_dir,
                  "Folder of images (.jpg/.png) or .npy input tensors")
      ->required();
  app->add_option("--limit", args->options.limit, "Use only the first N files (0: all)")
      ->capture_default_str();
  app->add_option("--task", args->options.task,
                  "classify, segment or detect (default: the variant's manifest)");
  app->add_option("--labels", args->labels,
                  "detect: score both models against labels too: a COCO instances JSON (images "
                  "in --data) or a YOLO folder (images/, labels/, classes.txt)");
  app->add_option("--threads", args->threads, "ONNX Runtime intra-op threads for both")
      ->capture_default_str();
  app->add_option("--graph-opt", args->opt_level,
                  "ONNX Runtime graph optimisation for both: disabled|basic|extended|all "
                  "(disabled: partitions "
                  "must be bit-identical; with rewrites a cut can change fusions)")
      ->check(CLI::IsMember({"disabled", "basic", "extended", "all"}))
      ->capture_default_str();
  add_preprocess_option(app, &args->preprocess);
  app->add_flag("--json", args->json, "Print JSON");
  return [args]() {
    VerifyOptions options = args->options;
    options.session.intra_op_threads = args->threads;
    auto preprocess = preprocess_overrides(args->preprocess);
    if (!preprocess.ok()) return report_error(preprocess.status());
    options.preprocess = *preprocess;
    if (!args->labels.empty()) {
      std::error_code ec;
      auto labels = std::filesystem::is_directory(args->labels, ec)
                        ? load_yolo_detection(args->labels)
                        : load_coco_detection(args->labels, args->options.data_dir);
      if (!labels.ok()) return report_error(labels.status().with_context("verify --labels"));
      if (labels->samples.empty()) {
        return report_error(invalid_argument("verify --labels '" + args->labels +
                                             "' lists no images"));
      }
      options.samples = std::move(labels->samples);
      options.category_ids = std::move(labels->category_ids);
    }
    options.session.graph_opt_level = args->opt_level == "disabled"   ? GraphOptLevel::kDisabled
                                      : args->opt_level == "basic"    ? GraphOptLevel::kBasic
                                      : args->opt_level == "extended" ? GraphOptLevel::kExtended
                                                                      : GraphOptLevel::kAll;
    auto reference = load_runnable_model(args->reference);
    if (!reference.ok()) return report_error(reference.status());
    auto report = verify_variant(args->reference, args->variant, options);
    if (!report.ok()) return report_error(report.status());
    if (args->json) {
      print_json(verify_report_to_json(*report));
      return 0;
    }
    std::printf("%s (%s) vs %s on %d samples:\n", args->variant.c_str(), report->ops.c_str(),
                args->reference.c_str(), report->samples);
    std::printf("  max |diff| %.6g, mean |diff| %.6g%s\n", report->max_abs_diff,
                report->mean_abs_diff, report->bit_identical ? " (bit-identical)" : "");
    if (report->task == "classify") {
      std::printf("  top-1 agreement %.2f pt\n", report->top1_agreement);
    } else if (report->task == "segment") {
      std::printf("  mIoU vs reference %.2f pt\n", report->miou);
    } else {
      std::printf("  mAP vs reference %.2f pt\n", report->agree_map);
      if (report->map >= 0) {
        std::printf("  mAP@[.5:.95] %.2f pt (reference %.2f, loss %.2f), mAP@0.5 %.2f pt "
                    "(reference %.2f)\n",
                    report->map, report->reference_map, report->map_loss, report->map50,
                    report->reference_map50);
      }
    }
    if (report->exited_early > 0) {
      std::printf("  exited early on %d of %d samples\n", report->exited_early, report->samples);
    }
    std::printf("  compute: reference %.2f ms, variant %.2f ms per sample\n",
                report->reference_ms_mean, report->variant_ms_mean);
    return 0;
  };
}

}  // namespace edgetier::cli
