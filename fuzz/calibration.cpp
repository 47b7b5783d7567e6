/// Fuzzes the calibration table reader (read_calibration_table's parse_json +
/// calibration_table_from_json) and checks that an accepted table writes back to JSON that reads
/// back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/json_reader.h"
#include "fuzz_common.h"
#include "ops/calibrate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgetier;
  auto j = parse_json(fuzz::as_view(data, size), "calibration.json");
  if (!j.ok()) return 0;
  auto table = calibration_table_from_json(*j);
  if (!table.ok()) return 0;
  if (!calibration_table_from_json(calibration_table_to_json(*table)).ok()) std::abort();
  return 0;
}
