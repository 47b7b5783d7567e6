/// The machine a run measured on (CPU, cores, kernel, ONNX Runtime, source commit), stored with
/// every run so results from different machines are never mixed up silently.
#pragma once

#include <nlohmann/json.hpp>

namespace edgetier {

/// {"cpu_model", "cores", "kernel", "ort_version", "sqlite_version", "edgetier_version",
///  "git_commit"}; unknown values are "unknown".
nlohmann::json collect_environment();

}  // namespace edgetier
