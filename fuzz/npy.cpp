/// Fuzzes the .npy reader (load_npy) that calibration folders and verification inputs go through.
#include <cstddef>
#include <cstdint>

#include "fuzz_common.h"
#include "runtime/preprocess.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgetier;
  const std::string path = fuzz::write_temp_file("input.npy", fuzz::as_view(data, size));
  (void)load_npy(path, "input");
  return 0;
}
