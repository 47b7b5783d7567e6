/// Fuzzes experiment.yaml: parse_spec (the strict YAML reader, presets, sweeps) and the normalised
/// spec every run records and hashes (spec_to_json, spec_hash). No file is opened (see spec.h).
#include <cstddef>
#include <cstdint>
#include <string>

#include "experiment/spec.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgetier;
  auto spec = parse_spec(std::string(fuzz::as_view(data, size)), fuzz::temp_dir(), "experiment.yaml");
  if (!spec.ok()) return 0;
  (void)spec_hash(*spec);
  for (const ModelSpec& model : spec->models) (void)preprocess_override_keys(model);
  return 0;
}
