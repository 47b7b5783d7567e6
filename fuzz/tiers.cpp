/// Fuzzes tiers.yaml (`edgetier testbed up --config`): parse_testbed_config and the validation
/// every backend runs before bringing tiers up (validate_testbed_config).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_common.h"
#include "testbed/presets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgetier;
  auto config = testbed::parse_testbed_config(std::string(fuzz::as_view(data, size)), "tiers.yaml");
  if (config.ok()) (void)testbed::validate_testbed_config(*config);
  return 0;
}
