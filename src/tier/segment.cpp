/// Segment: consecutive parts on one tier, tensors chained by name.
#include "tier/segment.h"

#include <algorithm>
#include <map>

#include "core/clock.h"
#include "core/strings.h"

namespace edgetier::tier {

namespace {

std::vector<std::string> names_of(const std::vector<TensorInfo>& infos) {
  std::vector<std::string> names;
  for (const auto& info : infos) names.push_back(info.name);
  return names;
}

/// The early head must end in the rest's outputs (callers see one interface) and, when the rest
/// runs elsewhere, the segment must say what to hand it.
Status check_exit(const std::vector<std::unique_ptr<OrtSession>>& parts,
                  const std::vector<std::string>& handoff, const ExitPolicy& exit,
                  const std::string& label) {
  const int n = static_cast<int>(parts.size());
  if (exit.exit_part < 1 || exit.exit_part >= n) {
    return invalid_argument(label + ": exit part " + std::to_string(exit.exit_part) +
                            " must come after the trunk, within this tier's " + std::to_string(n) +
                            " parts (1.." + std::to_string(n - 1) + ")");
  }
  const auto head_outputs = names_of(parts[exit.exit_part]->outputs());
  if (std::find(head_outputs.begin(), head_outputs.end(), exit.output) == head_outputs.end()) {
    return invalid_argument(label + ": exit output '" + exit.output +
                            "' is not an output of the early head; did you mean '" +
                            nearest_name(exit.output, head_outputs) + "'?");
  }
  if (exit.exit_part == n - 1) {
    if (handoff.empty()) {
      return invalid_argument(label + ": the early head is the last part on this tier, so the " +
                              "tensors the next tier's rest needs must be named (forward_tensors)");
    }
  } else if (names_of(parts.back()->outputs()) != head_outputs) {
    return invalid_argument(label + ": the early head's outputs differ from the last part's; " +
                            "an exit must answer with the same tensors as the full model");
  }
  return ok_status();
}

}  // namespace

Result<Segment> Segment::create(std::vector<std::unique_ptr<OrtSession>> parts,
                                std::vector<std::string> handoff, const std::string& label,
                                std::optional<ExitPolicy> exit) {
  if (parts.empty()) return invalid_argument(label + ": a segment needs at least one part");
  if (exit) RETURN_IF_ERROR(check_exit(parts, handoff, *exit, label));
  Segment segment;
  segment.label_ = label;
  segment.exit_ = std::move(exit);
  std::map<std::string, TensorInfo> available;  // produced so far, or taken from the request
  for (size_t k = 0; k < parts.size(); ++k) {
    for (const TensorInfo& in : parts[k]->inputs()) {
      if (available.count(in.name)) continue;
      // Not produced by an earlier part here: the request must carry it.
      segment.inputs_.push_back(in);
      available[in.name] = in;
    }
    for (const TensorInfo& out : parts[k]->outputs()) available[out.name] = out;
  }
  if (handoff.empty()) {
    segment.outputs_ = parts.back()->outputs();
  } else {
    std::vector<std::string> names;
    for (const auto& [name, info] : available) names.push_back(name);
    for (const std::string& name : handoff) {
      auto it = available.find(name);
      if (it == available.end()) {
        return invalid_argument(label + ": forward tensor '" + name +
                                "' is neither an input nor an output of the parts; did you mean '" +
                                nearest_name(name, names) + "'?");
      }
      segment.outputs_.push_back(it->second);
    }
  }
  segment.parts_ = std::move(parts);
  return segment;
}

int64_t Segment::load_ns() const {
  int64_t total = 0;
  for (const auto& p : parts_) total += p->load_ns();
  return total;
}

Result<std::vector<Tensor>> Segment::run(std::vector<Tensor> inputs,
                                         const std::vector<std::string>& wanted,
                                         int64_t* compute_ns, ExitDecision* decision) {
  std::vector<std::string> names = wanted;
  if (names.empty()) {
    for (const auto& info : outputs_) names.push_back(info.name);
  }
  *compute_ns = 0;
  // The common case, one part handing on its own outputs: no tensor pool, no copies.
  if (parts_.size() == 1 && !exit_) {
    const bool all_outputs_of_part = std::all_of(names.begin(), names.end(), [&](const auto& n) {
      return std::any_of(parts_[0]->outputs().begin(), parts_[0]->outputs().end(),
                         [&](const TensorInfo& o) { return o.name == n; });
    });
    if (all_outputs_of_part) {
      Stopwatch watch;
      auto outputs = parts_[0]->run(inputs, names);
      *compute_ns = watch.elapsed_ns();
      return outputs;
    }
  }
  std::map<std::string, Tensor> pool;
  for (Tensor& t : inputs) {
    std::string name = t.name;
    pool[name] = std::move(t);
  }
  const int exit_part = exit_ ? exit_->exit_part : -1;
  for (int k = 0; k < static_cast<int>(parts_.size()); ++k) {
    auto& part = parts_[k];
    std::vector<Tensor> part_inputs;
    for (const TensorInfo& info : part->inputs()) {
      auto it = pool.find(info.name);
      if (it == pool.end()) {
        return internal_error(label_ + ": tensor '" + info.name + "' missing before a part ran");
      }
      part_inputs.push_back(it->second);
    }
    Stopwatch watch;
    ASSIGN_OR_RETURN(std::vector<Tensor> outputs, part->run(part_inputs));
    *compute_ns += watch.elapsed_ns();
    if (k == exit_part) {
      // The early head's outputs share the rest's names: they never enter the pool, they are
      // either the answer or dropped.
      if (decision) {
        auto answer = take_exit_answer(std::move(outputs), wanted, decision);
        if (!answer.ok() || decision->exited) return answer;
      }
      continue;
    }
    for (Tensor& t : outputs) {
      std::string name = t.name;
      pool[name] = std::move(t);
    }
  }
  std::vector<Tensor> result;
  for (const std::string& name : names) {
    auto it = pool.find(name);
    if (it == pool.end())
      return internal_error(label_ + ": output '" + name + "' was not produced");
    result.push_back(std::move(it->second));
    pool.erase(it);
  }
  return result;
}

Result<std::vector<Tensor>> Segment::take_exit_answer(std::vector<Tensor> head_outputs,
                                                      const std::vector<std::string>& wanted,
                                                      ExitDecision* decision) const {
  auto measured = std::find_if(head_outputs.begin(), head_outputs.end(),
                               [&](const Tensor& t) { return t.name == exit_->output; });
  if (measured == head_outputs.end())
    return internal_error(label_ + ": the early head did not produce '" + exit_->output + "'");
  ASSIGN_OR_RETURN(decision->confidence, exit_confidence(*measured, exit_->measure));
  decision->exited = decision->confidence >= exit_->threshold;
  if (!decision->exited) return std::vector<Tensor>{};
  if (wanted.empty()) return head_outputs;
  std::vector<Tensor> answer;
  for (const std::string& name : wanted) {
    auto it = std::find_if(head_outputs.begin(), head_outputs.end(),
                           [&](const Tensor& t) { return t.name == name; });
    if (it == head_outputs.end())
      return invalid_argument(label_ + ": output '" + name +
                              "' is not an output of the early exit");
    answer.push_back(std::move(*it));
  }
  return answer;
}

}  // namespace edgetier::tier
