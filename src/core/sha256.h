/// SHA-256 digests (OpenSSL libcrypto) of byte strings and files, as lowercase hex.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace edgetier {

std::string sha256_hex(std::string_view bytes);
/// Streams the file; errors name it.
Result<std::string> sha256_file(const std::string& path);

}  // namespace edgetier
