/// Fuzzes the variant manifest reader (read_manifest's parse_json + manifest_from_json) and checks
/// that what it accepts writes back to JSON that reads back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/json_reader.h"
#include "fuzz_common.h"
#include "ops/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgetier;
  auto j = parse_json(fuzz::as_view(data, size), "manifest.json");
  if (!j.ok()) return 0;
  auto manifest = manifest_from_json(*j);
  if (!manifest.ok()) return 0;
  if (!manifest_from_json(manifest_to_json(*manifest)).ok()) std::abort();
  return 0;
}
