/// Segment: consecutive parts on one tier, tensors chained by name.
#include "tier/segment.h"

#include <algorithm>
#include <map>

#include "core/clock.h"
#include "graph/graph_view.h"

namespace edgetier::tier {

Result<Segment> Segment::create(std::vector<std::unique_ptr<OrtSession>> parts,
                                std::vector<std::string> handoff, const std::string& label) {
  if (parts.empty()) return invalid_argument(label + ": a segment needs at least one part");
  Segment segment;
  segment.label_ = label;
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
                                         int64_t* compute_ns) {
  std::vector<std::string> names = wanted;
  if (names.empty()) {
    for (const auto& info : outputs_) names.push_back(info.name);
  }
  *compute_ns = 0;
  // The common case, one part handing on its own outputs: no tensor pool, no copies.
  if (parts_.size() == 1) {
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
  for (auto& part : parts_) {
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

}  // namespace edgetier::tier
