/// `edgetier verify`: runs a reference model and a variant on the same inputs and compares them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "metrics/sample.h"
#include "runtime/ort_session.h"

namespace edgetier {

struct VerifyOptions {
  std::string
      data_dir;      // images (.jpg .jpeg .png, preprocessed as the manifest says) or .npy tensors
  int limit = 0;     // first N files in name order; 0 = all
  std::string task;  // classify | segment | detect; default: the variant's manifest
  /// Detection: labelled images (Sample::boxes in image pixels, categories as class indices),
  /// read by the caller (experiment/detection_labels.h). When given they replace the listing of
  /// `data_dir` and both models are also scored against the labels; `category_ids` maps a
  /// label_space category_id model's labels to the class indices.
  std::vector<Sample> samples;
  std::vector<int64_t> category_ids;
  SessionOptions session;  // used for both the reference and the variant's parts
  /// PreprocessSpec keys (--preprocess) over the reference's sidecar over the input-size
  /// default: the recipe images get on both sides. The manifest must record the same one.
  nlohmann::json preprocess = nlohmann::json::object();
};

struct VerifyReport {
  std::string reference;
  std::string variant;
  std::string ops;
  std::string task;
  int samples = 0;
  std::vector<std::string> outputs;  // compared by name
  double max_abs_diff = 0.0;         // over every compared float output element
  double mean_abs_diff = 0.0;
  bool bit_identical = true;
  // In points (0-100); -1 when not measured (the other task, or no float output compared).
  double top1_agreement = -1.0;  // classify: samples with the same argmax class
  double miou = -1.0;            // segment: mean IoU of the variant's argmax map vs the reference's
  // detect: mAP@[.5:.95] of the variant's boxes against the reference's (the reference's at its
  // block's score threshold are the objects; the reference against itself: 100).
  double agree_map = -1.0;
  // detect with labels: each model's mAP@[.5:.95] and mAP@0.5, and the variant's loss in points.
  double reference_map = -1.0, reference_map50 = -1.0;
  double map = -1.0, map50 = -1.0;
  double map_loss = -1.0;
  int exited_early = 0;          // dynamic exits: samples answered by the early head
  double reference_ms_mean = 0.0;
  double variant_ms_mean = 0.0;  // compute time summed over the parts that ran
};

/// Both sides run every sample; errors name the file or tensor at fault.
Result<VerifyReport> verify_variant(const std::string& reference_model,
                                    const std::string& variant_dir, const VerifyOptions& options);

nlohmann::json verify_report_to_json(const VerifyReport& report);

}  // namespace edgetier
