/// A folder of optimized graphs, so that loading the same model file again skips graph optimization.
#pragma once

#include <string>

#include "runtime/ort_session.h"

namespace edgetier {

/// Where the optimized graph of `model_path` under `options` is kept in `dir`: a name made from
/// the file's canonical path, size and modification time, the ONNX Runtime version, the CPU and
/// the session options that shape the graph. Fully optimized graphs are specific to the hardware
/// and the runtime they were made on, hence the CPU and version in the key. Empty when the file
/// cannot be keyed (it does not exist) or the options are not cached (only full optimization on
/// the CPU provider, without profiling, is).
std::string session_cache_path(const std::string& dir, const std::string& model_path,
                               const SessionOptions& options);

}  // namespace edgetier
