/// A strict JPEG check: libjpeg reads every coefficient and any warning it gives (premature
/// end, corrupt data, extraneous bytes) is an error, where decoders fill the rest with grey.
#pragma once

#include <string_view>

#include "core/status.h"

namespace edgetier {

/// INVALID_ARGUMENT with libjpeg's message when the JPEG is truncated or corrupt. The image
/// is decoded at 1/8 scale (the entropy-coded data is read in full, the inverse DCT is DC
/// only), which costs a fraction of the full decode.
Status check_jpeg_strict(std::string_view encoded);

}  // namespace edgetier
