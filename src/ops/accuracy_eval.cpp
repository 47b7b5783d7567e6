/// Evaluation folders: reference predictions once, then top-1 / mIoU / output error of candidates.
#include "ops/accuracy_eval.h"

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <unordered_map>

#include "graph/model_io.h"
#include "runtime/ort_session.h"

namespace edgetier {
namespace fs = std::filesystem;
namespace {

Result<std::unique_ptr<OrtSession>> open_session(const onnx::ModelProto& model, int threads,
                                                 const std::string& label) {
  ASSIGN_OR_RETURN(std::string bytes, serialize_model(model));
  SessionOptions so;
  so.intra_op_threads = threads;
  return OrtSession::from_bytes(bytes, so, label);
}

// "path label" or "path,label" lines; '#' starts a comment.
Result<std::unordered_map<std::string, int32_t>> read_labels(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, read_file_bytes(path));
  std::unordered_map<std::string, int32_t> labels;
  std::istringstream lines(text);
  std::string line;
  int line_no = 0;
  while (std::getline(lines, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream fields(line);
    std::string file;
    long long label = -1;
    if (!(fields >> file >> label) || label < 0) {
      return invalid_argument(path + ":" + std::to_string(line_no) +
                              ": expected '<file> <class index>', got '" + line + "'");
    }
    labels[file] = static_cast<int32_t>(label);
  }
  return labels;
}

// Class index per row (classification) or per pixel (segmentation, NCHW) of a float output.
std::vector<int32_t> argmax_classes(const Tensor& out, EvalTask task) {
  const float* v = out.data_as<float>();
  std::vector<int32_t> classes;
  const int64_t n = out.shape[0], c = out.shape[1];
  if (task == EvalTask::kClassification) {
    for (int64_t r = 0; r < n; ++r) {
      classes.push_back(
          static_cast<int32_t>(std::max_element(v + r * c, v + (r + 1) * c) - (v + r * c)));
    }
    return classes;
  }
  const int64_t hw = out.shape[2] * out.shape[3];
  classes.resize(static_cast<size_t>(n * hw));
  for (int64_t b = 0; b < n; ++b) {
    const float* base = v + b * c * hw;
    for (int64_t p = 0; p < hw; ++p) {
      int32_t best = 0;
      float best_v = base[p];
      for (int64_t k = 1; k < c; ++k) {
        if (base[k * hw + p] > best_v) {
          best_v = base[k * hw + p];
          best = static_cast<int32_t>(k);
        }
      }
      classes[static_cast<size_t>(b * hw + p)] = best;
    }
  }
  return classes;
}

}  // namespace

nlohmann::json accuracy_to_json(const AccuracyResult& r) {
  return {{"task", r.task == EvalTask::kClassification ? "classification" : "segmentation"},
          {"metric", r.metric},
          {"labelled", r.labelled},
          {"samples", r.samples},
          {"reference", r.reference},
          {"candidate", r.candidate},
          {"loss_points", r.loss_points}};
}

Result<EvalSet> EvalSet::create(const onnx::ModelProto& reference, const EvalOptions& options) {
  EvalSet set;
  set.options_ = options;
  ASSIGN_OR_RETURN(auto session,
                   open_session(reference, options.intra_op_threads, "reference model"));
  if (session->inputs().size() != 1) {
    return unimplemented("evaluation: the model has " + std::to_string(session->inputs().size()) +
                         " inputs; evaluation folders feed single-input models");
  }
  CalibrationDataOptions data_options;
  data_options.max_samples = options.max_samples;
  data_options.preprocess = options.preprocess;
  ASSIGN_OR_RETURN(
      CalibrationDataReader reader,
      CalibrationDataReader::open(options.data_dir, session->inputs()[0], data_options));
  set.reader_ = std::make_shared<const CalibrationDataReader>(std::move(reader));
  set.output_name_ = session->outputs()[0].name;

  std::unordered_map<std::string, int32_t> labels;
  for (const char* name : {"labels.txt", "labels.csv"}) {
    const std::string path = (fs::path(options.data_dir) / name).string();
    if (fs::exists(path)) {
      ASSIGN_OR_RETURN(labels, read_labels(path));
      set.labelled_ = true;
      break;
    }
  }
  for (size_t s = 0; s < set.reader_->size(); ++s) {
    ASSIGN_OR_RETURN(Tensor sample, set.reader_->read(s));
    auto outs = session->run({sample}, {set.output_name_});
    if (!outs.ok())
      return outs.status().with_context("evaluation sample '" + set.reader_->relative_name(s) +
                                        "'");
    const Tensor& y = (*outs)[0];
    if (s == 0) {
      if (y.dtype != DType::kFloat32 || (y.shape.size() != 2 && y.shape.size() != 4)) {
        return unimplemented(
            "evaluation: output '" + set.output_name_ + "' is " + std::string(dtype_name(y.dtype)) +
            " " + shape_to_string(y.shape) +
            "; expected float [N, classes] (classification) or [N, classes, H, W] (segmentation)");
      }
      set.task_ = y.shape.size() == 2 ? EvalTask::kClassification : EvalTask::kSegmentation;
      set.classes_ = y.shape[1];
    }
    set.reference_predictions_.push_back(argmax_classes(y, set.task_));
    if (static_cast<int64_t>(s) < options.error_samples) {
      set.reference_outputs_.emplace_back(y.data_as<float>(),
                                          y.data_as<float>() + y.num_elements());
    }
    if (set.labelled_) {
      const std::string name = set.reader_->relative_name(s);
      auto it = labels.find(name);
      if (it == labels.end()) {
        return invalid_argument("evaluation: '" + name + "' has no line in the labels file of '" +
                                options.data_dir + "'");
      }
      if (set.task_ != EvalTask::kClassification || y.shape[0] != 1) {
        return unimplemented("evaluation: labels are supported for batch-1 classification only");
      }
      if (it->second >= set.classes_) {
        return invalid_argument("evaluation: label " + std::to_string(it->second) + " of '" + name +
                                "' is out of range for " + std::to_string(set.classes_) +
                                " classes");
      }
      set.labels_.push_back(it->second);
    }
  }
  return set;
}

Result<AccuracyResult> EvalSet::score(const onnx::ModelProto& candidate, int64_t limit) const {
  ASSIGN_OR_RETURN(auto session,
                   open_session(candidate, options_.intra_op_threads, "candidate model"));
  const int64_t n = limit > 0 ? std::min(limit, size()) : size();
  AccuracyResult r;
  r.task = task_;
  r.metric = task_ == EvalTask::kClassification ? "top1" : "miou";
  r.labelled = labelled_;
  r.samples = n;
  int64_t agree = 0, items = 0, ref_correct = 0, cand_correct = 0;
  std::vector<int64_t> confusion(
      task_ == EvalTask::kSegmentation ? static_cast<size_t>(classes_ * classes_) : 0, 0);
  for (int64_t s = 0; s < n; ++s) {
    ASSIGN_OR_RETURN(Tensor sample, reader_->read(static_cast<size_t>(s)));
    auto outs = session->run({sample}, {output_name_});
    if (!outs.ok())
      return outs.status().with_context("evaluation sample '" +
                                        reader_->relative_name(static_cast<size_t>(s)) + "'");
    const std::vector<int32_t> pred = argmax_classes((*outs)[0], task_);
    const std::vector<int32_t>& ref = reference_predictions_[static_cast<size_t>(s)];
    if (pred.size() != ref.size()) {
      return invalid_argument("evaluation: candidate output has " + std::to_string(pred.size()) +
                              " predictions per sample, the reference " +
                              std::to_string(ref.size()));
    }
    if (task_ == EvalTask::kSegmentation) {
      for (size_t p = 0; p < ref.size(); ++p)
        ++confusion[static_cast<size_t>(ref[p] * classes_ + pred[p])];
    } else if (labelled_) {
      ref_correct += ref[0] == labels_[static_cast<size_t>(s)];
      cand_correct += pred[0] == labels_[static_cast<size_t>(s)];
    } else {
      for (size_t p = 0; p < ref.size(); ++p) agree += pred[p] == ref[p];
      items += static_cast<int64_t>(ref.size());
    }
  }
  if (task_ == EvalTask::kSegmentation) {
    // mIoU of the candidate's map against the reference's, over classes either of them uses.
    double iou_sum = 0.0;
    int used = 0;
    for (int64_t k = 0; k < classes_; ++k) {
      int64_t tp = confusion[static_cast<size_t>(k * classes_ + k)], fp = 0, fn = 0;
      for (int64_t j = 0; j < classes_; ++j) {
        if (j == k) continue;
        fn += confusion[static_cast<size_t>(k * classes_ + j)];
        fp += confusion[static_cast<size_t>(j * classes_ + k)];
      }
      if (tp + fp + fn == 0) continue;
      iou_sum += static_cast<double>(tp) / static_cast<double>(tp + fp + fn);
      ++used;
    }
    r.reference = 100.0;
    r.candidate = used ? 100.0 * iou_sum / used : 100.0;
  } else if (labelled_) {
    r.reference = n ? 100.0 * static_cast<double>(ref_correct) / static_cast<double>(n) : 0.0;
    r.candidate = n ? 100.0 * static_cast<double>(cand_correct) / static_cast<double>(n) : 0.0;
  } else {
    r.reference = 100.0;
    r.candidate = items ? 100.0 * static_cast<double>(agree) / static_cast<double>(items) : 100.0;
  }
  r.loss_points = r.reference - r.candidate;
  return r;
}

Result<double> EvalSet::output_error(const onnx::ModelProto& candidate) const {
  ASSIGN_OR_RETURN(auto session,
                   open_session(candidate, options_.intra_op_threads, "candidate model"));
  double total = 0.0;
  for (size_t s = 0; s < reference_outputs_.size(); ++s) {
    ASSIGN_OR_RETURN(Tensor sample, reader_->read(s));
    auto outs = session->run({sample}, {output_name_});
    if (!outs.ok())
      return outs.status().with_context("evaluation sample '" + reader_->relative_name(s) + "'");
    const Tensor& y = (*outs)[0];
    const std::vector<float>& ref = reference_outputs_[s];
    if (y.num_elements() != ref.size())
      return invalid_argument("evaluation: candidate output size differs from the reference");
    double num = 0.0, den = 0.0;
    const float* v = y.data_as<float>();
    for (size_t i = 0; i < ref.size(); ++i) {
      num += (static_cast<double>(v[i]) - ref[i]) * (static_cast<double>(v[i]) - ref[i]);
      den += static_cast<double>(ref[i]) * ref[i];
    }
    total += num / std::max(den, 1e-30);
  }
  return reference_outputs_.empty() ? 0.0 : total / static_cast<double>(reference_outputs_.size());
}

}  // namespace edgetier
