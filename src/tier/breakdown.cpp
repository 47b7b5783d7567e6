/// Rebuilding and printing request breakdowns.
#include "tier/breakdown.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "tier/protocol.h"

namespace edgetier::tier {
namespace {

std::string ms(int64_t ns) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.2f", static_cast<double>(ns) * 1e-6);
  return buffer;
}

}  // namespace

int64_t RequestBreakdown::sum_ns(int64_t HopBreakdown::*field) const {
  int64_t total = 0;
  for (const auto& hop : hops) total += hop.*field;
  return total;
}

int64_t RequestBreakdown::accounted_ns() const {
  int64_t total = sum_ns(&HopBreakdown::queue_ns) + sum_ns(&HopBreakdown::preprocess_ns) +
                  sum_ns(&HopBreakdown::compute_ns) + sum_ns(&HopBreakdown::postprocess_ns) +
                  sum_ns(&HopBreakdown::serialize_ns);
  for (const auto& link : links) total += link.transfer_ns;
  return total;
}

RequestBreakdown breakdown_from_parameters(
    const google::protobuf::Map<std::string, inference::InferParameter>& parameters,
    int64_t end_to_end_ns, int64_t request_bytes, int64_t response_bytes) {
  RequestBreakdown b;
  b.end_to_end_ns = end_to_end_ns;
  std::istringstream hops(get_string_param(parameters, std::string(kHopsParam)));
  std::string tier;
  while (std::getline(hops, tier, ',')) {
    if (tier.empty()) continue;
    HopBreakdown h;
    h.tier = tier;
    h.role = get_string_param(parameters, timing_key(tier, kRole));
    h.queue_ns = get_int_param(parameters, timing_key(tier, kQueueNs));
    h.preprocess_ns = get_int_param(parameters, timing_key(tier, kPreprocessNs));
    h.compute_ns = get_int_param(parameters, timing_key(tier, kComputeNs));
    h.serialize_ns = get_int_param(parameters, timing_key(tier, kSerializeNs));
    h.forward_ns = get_int_param(parameters, timing_key(tier, kForwardNs));
    h.postprocess_ns = get_int_param(parameters, timing_key(tier, kPostprocessNs));
    h.total_ns = get_int_param(parameters, timing_key(tier, kTotalNs));
    h.bytes_in = get_int_param(parameters, timing_key(tier, kBytesIn));
    h.bytes_out = get_int_param(parameters, timing_key(tier, kBytesOut));
    h.bytes_back = get_int_param(parameters, timing_key(tier, kBytesBack));
    h.other_ns =
        h.total_ns - h.queue_ns - h.preprocess_ns - h.compute_ns - h.postprocess_ns -
        h.serialize_ns - h.forward_ns;
    const std::string confidence = get_string_param(parameters, timing_key(tier, kExitConfidence));
    if (!confidence.empty() && b.exit_taken < 0) {
      b.exit_taken = 0;
      b.exit_confidence = std::strtod(confidence.c_str(), nullptr);
    }
    b.hops.push_back(h);
  }
  b.exit_tier = get_string_param(parameters, std::string(kExitParam));
  if (!b.exit_tier.empty()) b.exit_taken = 1;
  for (size_t i = 0; i < b.hops.size(); ++i) {
    LinkBreakdown link;
    link.from = i == 0 ? "client" : b.hops[i - 1].tier;
    link.to = b.hops[i].tier;
    const int64_t sender_ns = i == 0 ? end_to_end_ns : b.hops[i - 1].forward_ns;
    link.transfer_ns = sender_ns - b.hops[i].total_ns;
    link.bytes_up = i == 0 ? request_bytes : b.hops[i - 1].bytes_out;
    link.bytes_down = i == 0 ? response_bytes : b.hops[i - 1].bytes_back;
    b.links.push_back(link);
  }
  return b;
}

nlohmann::json breakdown_to_json(const RequestBreakdown& b) {
  nlohmann::json hops = nlohmann::json::array();
  for (const auto& h : b.hops) {
    hops.push_back({{"tier", h.tier},
                    {"role", h.role},
                    {"queue_ns", h.queue_ns},
                    {"preprocess_ns", h.preprocess_ns},
                    {"compute_ns", h.compute_ns},
                    {"serialize_ns", h.serialize_ns},
                    {"forward_ns", h.forward_ns},
                    {"postprocess_ns", h.postprocess_ns},
                    {"total_ns", h.total_ns},
                    {"other_ns", h.other_ns},
                    {"bytes_in", h.bytes_in},
                    {"bytes_out", h.bytes_out},
                    {"bytes_back", h.bytes_back}});
  }
  nlohmann::json links = nlohmann::json::array();
  for (const auto& l : b.links) {
    links.push_back({{"from", l.from},
                     {"to", l.to},
                     {"transfer_ns", l.transfer_ns},
                     {"bytes_up", l.bytes_up},
                     {"bytes_down", l.bytes_down}});
  }
  nlohmann::json j = {{"end_to_end_ns", b.end_to_end_ns}, {"hops", hops}, {"links", links}};
  if (b.exit_taken >= 0) {
    j["exit_taken"] = b.exit_taken == 1;
    j["exit_confidence"] = b.exit_confidence;
    if (b.exit_taken == 1) j["exit_tier"] = b.exit_tier;
  }
  return j;
}

std::string breakdown_to_text(const RequestBreakdown& b) {
  std::string out = "e2e " + ms(b.end_to_end_ns) + " ms";
  for (size_t i = 0; i < b.hops.size(); ++i) {
    const auto& l = b.links[i];
    const auto& h = b.hops[i];
    out += " | " + l.from + ">" + l.to + " " + ms(l.transfer_ns) + " (" +
           std::to_string(l.bytes_up) + " B)";
    out += " | " + h.tier + (h.role == "relay" ? " relay" : "");
    if (h.queue_ns > 100000) out += " q " + ms(h.queue_ns);
    if (h.preprocess_ns) out += " pre " + ms(h.preprocess_ns);
    if (h.role != "relay") out += " cmp " + ms(h.compute_ns);
    if (h.postprocess_ns) out += " nms " + ms(h.postprocess_ns);
    out += " ser " + ms(h.serialize_ns);
  }
  if (b.exit_taken == 1) out += " | exit at " + b.exit_tier;
  if (b.exit_taken == 0) out += " | no exit";
  return out;
}

}  // namespace edgetier::tier
