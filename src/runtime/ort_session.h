/// ONNX Runtime session wrapper: the only interface to the engine; Ort exceptions become Status.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace edgetier {

enum class GraphOptLevel { kDisabled, kBasic, kExtended, kAll };

struct SessionOptions {
  int intra_op_threads = 1;  // 0 lets ONNX Runtime choose
  int inter_op_threads = 1;
  GraphOptLevel graph_opt_level = GraphOptLevel::kAll;
  bool enable_profiling = false;
  std::string profile_prefix = "edgetier_profile";  // ORT appends a timestamp and ".json"
  std::string execution_provider = "cpu";           // "cpu" or "cuda" where the build has it
  bool enable_cpu_mem_arena = true;
  /// Set: a folder where a model file's optimized graph is kept after its first load and
  /// loaded from after that, without optimizing again (session_cache.h). Same graph, same
  /// results; only file-loaded, fully optimized CPU sessions are cached.
  std::string optimized_cache_dir;
};

/// Makes this process's sessions that ask for `intra_op_threads` intra-op threads and one
/// inter-op thread share one pool of that size, started once, instead of each starting its own
/// (a tier's sessions run one request at a time between them; starting a pool of 2 threads
/// doubled a session's creation time on a 2-CPU tier). Takes effect only before the process's
/// first session: true when the process shares a pool of that size from now on, false when a
/// session came first or another size was set (sessions then start their own pools, as always).
bool share_thread_pool(int intra_op_threads);
/// The ONNX Runtime library version actually loaded, e.g. "1.30.0".
std::string ort_version();
/// Execution providers compiled into the loaded ONNX Runtime ("CPUExecutionProvider", ...).
std::vector<std::string> ort_available_providers();

class OrtSession {
 public:
  ~OrtSession();
  OrtSession(const OrtSession&) = delete;
  OrtSession& operator=(const OrtSession&) = delete;

  static Result<std::unique_ptr<OrtSession>> from_file(const std::string& path,
                                                       const SessionOptions& options = {});
  static Result<std::unique_ptr<OrtSession>> from_bytes(const std::string& model_bytes,
                                                        const SessionOptions& options = {},
                                                        const std::string& label = "<memory>");

  const std::vector<TensorInfo>& inputs() const { return inputs_; }
  const std::vector<TensorInfo>& outputs() const { return outputs_; }
  /// Time spent creating the session (model parse, graph optimisation, kernel setup).
  int64_t load_ns() const { return load_ns_; }
  /// The graph came optimized from SessionOptions::optimized_cache_dir.
  bool from_cache() const { return from_cache_; }

  /// Runs with the given named inputs; returns the requested outputs (all when empty) in order.
  /// Checks names, dtypes and ranks/fixed dims against the model before calling ONNX Runtime.
  Result<std::vector<Tensor>> run(const std::vector<Tensor>& inputs,
                                  const std::vector<std::string>& output_names = {});
  /// Wall time of the last successful run() call inside ONNX Runtime.
  int64_t last_run_ns() const { return last_run_ns_; }

  /// Stops profiling and returns the JSON trace file ORT wrote (needs enable_profiling).
  Result<std::string> end_profiling();

 private:
  struct Impl;
  explicit OrtSession(std::unique_ptr<Impl> impl);
  static Result<std::unique_ptr<OrtSession>> create(const std::string& path, const std::string* bytes,
                                                    const SessionOptions& options,
                                                    const std::string& label,
                                                    const std::string& save_optimized_to = "");
  /// create() through the optimized-graph cache: the cached graph when there is one, else the
  /// file, saving its optimized graph for the next load.
  static Result<std::unique_ptr<OrtSession>> create_cached(const std::string& path,
                                                           const SessionOptions& options);
  Status check_inputs(const std::vector<Tensor>& inputs) const;

  std::unique_ptr<Impl> impl_;
  std::vector<TensorInfo> inputs_;
  std::vector<TensorInfo> outputs_;
  int64_t load_ns_ = 0;
  bool from_cache_ = false;
  int64_t last_run_ns_ = 0;
  std::string label_;
};

}  // namespace edgetier
