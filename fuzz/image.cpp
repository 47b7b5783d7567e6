/// Fuzzes what a tier does with an encoded image: the header check against the pixel limit, then
/// the strict JPEG decode (OpenCV's for PNG) and the preprocessing (decode_and_preprocess), with
/// the tier's default limit.
#include <cstddef>
#include <cstdint>

#include "fuzz_common.h"
#include "runtime/preprocess.h"
#include "tier/image_header.h"
#include "tier/server.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgetier;
  const std::string_view encoded = fuzz::as_view(data, size);
  auto header = tier::read_image_header(encoded);
  if (!header.ok()) return 0;
  if (!tier::check_image_pixels(*header, tier::ServeOptions{}.max_image_pixels).ok()) return 0;
  // A small target size keeps the preprocessing cheap; the decode is what is under test.
  PreprocessSpec spec = PreprocessSpec::for_input("input", 32, 32);
  (void)decode_and_preprocess(encoded, spec);
  return 0;
}
