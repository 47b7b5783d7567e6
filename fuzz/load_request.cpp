/// Fuzzes a tier's LoadModel validation from the request's serialized bytes: the protobuf parse,
/// then ModelRegistry::load (name, link, deadline, preprocess and exit-policy JSON, part chaining,
/// forward tensors, preprocess against the part's input, relay entries). The ONNX parts
/// themselves are fuzzed by the model target: here every part is replaced by one of two small
/// valid parts (a path stays a path, bytes stay bytes) so that ONNX Runtime, which this build does
/// not instrument, only ever sees models it can load.
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz_common.h"
#include "graph/builder.h"
#include "graph/model_io.h"
#include "proto/edgetier_control.pb.h"
#include "tier/model_registry.h"

namespace {

using namespace edgetier;

// Sessions are the slow part of a load; more parts than this only repeat the same checks.
constexpr int kMaxParts = 3;

struct Part {
  std::string path;
  std::string bytes;
};

// Part 0: "input" [1,3,8,8] -> Relu; part 1: its output -> GlobalAveragePool -> Flatten.
Part save_part(GraphBuilder& b, const std::string& out, const std::string& file) {
  b.output(out);
  auto model = b.build();
  if (!model.ok()) std::abort();
  auto bytes = serialize_model(*model);
  if (!bytes.ok()) std::abort();
  return Part{fuzz::write_temp_file(file, *bytes), *bytes};
}

std::vector<Part> make_parts() {
  GraphBuilder lower("lower");
  const std::string features = lower.relu(lower.input("input", {1, 3, 8, 8}));
  GraphBuilder upper("upper");
  const std::string logits = upper.flatten(upper.global_avg_pool(upper.input(features, {1, 3, 8, 8})));
  return {save_part(lower, features, "lower.onnx"), save_part(upper, logits, "upper.onnx")};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool init = (fuzz::quiet_logs(), true);
  (void)init;
  static const std::vector<Part> parts = make_parts();
  if (size > static_cast<size_t>(INT_MAX)) return 0;
  control::LoadModelRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (request.parts_size() > kMaxParts) return 0;
  for (int k = 0; k < request.parts_size(); ++k) {
    control::PartSource* part = request.mutable_parts(k);
    const Part& fixture = parts[k % 2];
    if (part->source_case() == control::PartSource::kPath) part->set_path(fixture.path);
    if (part->source_case() == control::PartSource::kBytes) part->set_bytes(fixture.bytes);
  }
  tier::ModelRegistry registry(tier::RegistryOptions{"fuzz", 1, int64_t{64} << 20});
  auto loaded = registry.load(request);
  if (loaded.ok()) {
    auto entry = registry.find(request.model_name());
    if (!entry) std::abort();  // a load that succeeded must be found under its name
    (void)tier::entry_inputs(*entry);
    (void)tier::entry_outputs(*entry);
  }
  return 0;
}
