/// Lookup over the embedded examples, and the built-in demo spec.
#include "experiment/embedded.h"

#include <string>

#include "experiment/spec.h"

namespace edgetier {

std::optional<std::string_view> embedded_example(std::string_view name) {
  for (const auto& f : embedded_examples()) {
    if (f.name == name) return f.text;
  }
  return std::nullopt;
}

Result<ExperimentSpec> load_builtin_demo() {
  auto text = embedded_example("demo.yaml");
  if (!text) return internal_error("this build has no embedded examples/demo.yaml");
  // The demo's paths (models/...) are relative to the source tree the binary was built from.
  return parse_spec(std::string(*text), EDGETIER_SOURCE_DIR "/examples", "<embedded demo.yaml>");
}

}  // namespace edgetier
