/// Files compiled into the binary: examples/*.yaml (the built-in demo is "demo.yaml").
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace edgetier {

struct EmbeddedFile {
  std::string_view name;  // file name, e.g. "demo.yaml"
  std::string_view text;
};

/// Defined in the build folder's generated/embedded_examples.cpp (cmake/embed_files.cmake).
const std::vector<EmbeddedFile>& embedded_examples();
/// The embedded file named `name`, or nullopt.
std::optional<std::string_view> embedded_example(std::string_view name);

}  // namespace edgetier
