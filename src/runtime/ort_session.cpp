/// ONNX Runtime session wrapper implementation; every Ort::Exception is caught here.
#include "runtime/ort_session.h"

#include <onnxruntime_cxx_api.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>

#include "core/clock.h"
#include "runtime/session_cache.h"

namespace edgetier {
namespace {

std::mutex env_mu;
bool env_created = false;     // under env_mu
int shared_pool_threads = 0;  // share_thread_pool's size; 0: none (fixed once env_created)

Ort::Env make_env() {
  std::lock_guard<std::mutex> lock(env_mu);
  env_created = true;
  if (shared_pool_threads <= 0) return Ort::Env(ORT_LOGGING_LEVEL_ERROR, "edgetier");
  Ort::ThreadingOptions threading;
  threading.SetGlobalIntraOpNumThreads(shared_pool_threads);
  threading.SetGlobalInterOpNumThreads(1);
  return Ort::Env(threading, ORT_LOGGING_LEVEL_ERROR, "edgetier");
}

Ort::Env& ort_env() {
  // One environment per process, as ONNX Runtime requires; warnings only, ORT is chatty.
  static Ort::Env env = make_env();
  return env;
}

/// The shared pool's size once the environment exists (0: none).
int shared_threads() {
  (void)ort_env();
  std::lock_guard<std::mutex> lock(env_mu);
  return shared_pool_threads;
}

GraphOptimizationLevel to_ort(GraphOptLevel level) {
  switch (level) {
    case GraphOptLevel::kDisabled: return ORT_DISABLE_ALL;
    case GraphOptLevel::kBasic: return ORT_ENABLE_BASIC;
    case GraphOptLevel::kExtended: return ORT_ENABLE_EXTENDED;
    case GraphOptLevel::kAll: return ORT_ENABLE_ALL;
  }
  return ORT_ENABLE_ALL;
}

TensorInfo info_from(const std::string& name, const Ort::TypeInfo& type_info) {
  TensorInfo info;
  info.name = name;
  if (type_info.GetONNXType() != ONNX_TYPE_TENSOR) return info;
  auto tensor_info = type_info.GetTensorTypeAndShapeInfo();
  info.dtype = static_cast<DType>(tensor_info.GetElementType());
  info.shape = tensor_info.GetShape();
  return info;
}

}  // namespace

struct OrtSession::Impl {
  Ort::Session session{nullptr};
  Ort::MemoryInfo memory_info = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  Ort::AllocatorWithDefaultOptions allocator;
  bool profiling = false;
};

bool share_thread_pool(int intra_op_threads) {
  std::lock_guard<std::mutex> lock(env_mu);
  if (intra_op_threads <= 0) return false;
  if (!env_created && shared_pool_threads == 0) shared_pool_threads = intra_op_threads;
  return shared_pool_threads == intra_op_threads;
}

std::string ort_version() { return Ort::GetVersionString(); }

std::vector<std::string> ort_available_providers() {
  try {
    return Ort::GetAvailableProviders();
  } catch (const Ort::Exception& e) {
    return {};
  }
}

OrtSession::OrtSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OrtSession::~OrtSession() = default;

Result<std::unique_ptr<OrtSession>> OrtSession::from_file(const std::string& path,
                                                          const SessionOptions& options) {
  if (!options.optimized_cache_dir.empty()) return create_cached(path, options);
  return create(path, nullptr, options, path);
}

Result<std::unique_ptr<OrtSession>> OrtSession::create_cached(const std::string& path,
                                                              const SessionOptions& options) {
  SessionOptions plain = options;
  plain.optimized_cache_dir.clear();
  const std::string cached = session_cache_path(options.optimized_cache_dir, path, options);
  if (cached.empty()) return create(path, nullptr, plain, path);
  std::error_code ec;
  if (std::filesystem::exists(cached, ec)) {
    SessionOptions as_optimized = plain;
    as_optimized.graph_opt_level = GraphOptLevel::kDisabled;  // it is optimized already
    auto session = create(cached, nullptr, as_optimized, path);
    if (session.ok()) {
      (*session)->from_cache_ = true;
      return session;
    }
    // A damaged entry (a full disk, a killed writer): drop it and load the file itself.
    std::filesystem::remove(cached, ec);
  }
  // Owner-only: whoever can write here decides what this process loads.
  if (std::filesystem::create_directories(options.optimized_cache_dir, ec))
    std::filesystem::permissions(options.optimized_cache_dir, std::filesystem::perms::owner_all,
                                 ec);
  // Written under a name of its own and renamed, so concurrent loads never see half a file.
  static std::atomic<uint64_t> counter{0};
  const std::string partial =
      cached + ".partial-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  auto session = create(path, nullptr, plain, path, partial);
  if (!session.ok()) {
    std::filesystem::remove(partial, ec);
    // Saving the graph may be what failed (e.g. a model past protobuf's 2 GB): load uncached.
    return create(path, nullptr, plain, path);
  }
  std::filesystem::rename(partial, cached, ec);
  if (ec) std::filesystem::remove(partial, ec);
  return session;
}

Result<std::unique_ptr<OrtSession>> OrtSession::from_bytes(const std::string& model_bytes,
                                                           const SessionOptions& options,
                                                           const std::string& label) {
  return create("", &model_bytes, options, label);
}

Result<std::unique_ptr<OrtSession>> OrtSession::create(const std::string& path,
                                                       const std::string* bytes,
                                                       const SessionOptions& options,
                                                       const std::string& label,
                                                       const std::string& save_optimized_to) {
  Stopwatch watch;
  try {
    Ort::SessionOptions so;
    if (!save_optimized_to.empty()) so.SetOptimizedModelFilePath(save_optimized_to.c_str());
    const int shared = shared_threads();
    if (shared > 0 && options.intra_op_threads == shared && options.inter_op_threads == 1) {
      so.DisablePerSessionThreads();
    } else {
      so.SetIntraOpNumThreads(options.intra_op_threads);
      so.SetInterOpNumThreads(options.inter_op_threads);
    }
    so.SetGraphOptimizationLevel(to_ort(options.graph_opt_level));
    if (!options.enable_cpu_mem_arena) so.DisableCpuMemArena();
    if (options.enable_profiling) so.EnableProfiling(options.profile_prefix.c_str());
    if (options.execution_provider == "cuda") {
      auto providers = ort_available_providers();
      if (std::find(providers.begin(), providers.end(), "CUDAExecutionProvider") ==
          providers.end()) {
        return failed_precondition("execution provider 'cuda' requested for " + label +
                                   " but this ONNX Runtime build has no CUDA provider; "
                                   "point -DEDGETIER_ORT_ROOT at a CUDA-enabled release");
      }
      OrtCUDAProviderOptions cuda_options{};
      so.AppendExecutionProvider_CUDA(cuda_options);
    } else if (options.execution_provider != "cpu") {
      return invalid_argument("unknown execution provider '" + options.execution_provider +
                              "'; expected 'cpu' or 'cuda'");
    }
    auto impl = std::make_unique<Impl>();
    if (bytes) {
      impl->session = Ort::Session(ort_env(), bytes->data(), bytes->size(), so);
    } else {
      impl->session = Ort::Session(ort_env(), path.c_str(), so);
    }
    impl->profiling = options.enable_profiling;
    std::unique_ptr<OrtSession> session(new OrtSession(std::move(impl)));
    Ort::Session& s = session->impl_->session;
    for (size_t i = 0; i < s.GetInputCount(); ++i) {
      auto name = s.GetInputNameAllocated(i, session->impl_->allocator);
      session->inputs_.push_back(info_from(name.get(), s.GetInputTypeInfo(i)));
    }
    for (size_t i = 0; i < s.GetOutputCount(); ++i) {
      auto name = s.GetOutputNameAllocated(i, session->impl_->allocator);
      session->outputs_.push_back(info_from(name.get(), s.GetOutputTypeInfo(i)));
    }
    session->load_ns_ = watch.elapsed_ns();
    session->label_ = label;
    return session;
  } catch (const Ort::Exception& e) {
    if (options.execution_provider != "cpu") {
      return failed_precondition("execution provider '" + options.execution_provider +
                                 "' could not be set up for " + label + ": " + e.what());
    }
    return invalid_argument("ONNX Runtime could not load model " + label + ": " + e.what());
  } catch (const std::exception& e) {
    return internal_error("loading model " + label + ": " + e.what());
  }
}

Status OrtSession::check_inputs(const std::vector<Tensor>& inputs) const {
  for (const Tensor& t : inputs) {
    auto it = std::find_if(inputs_.begin(), inputs_.end(),
                           [&](const TensorInfo& info) { return info.name == t.name; });
    if (it == inputs_.end()) {
      std::string names;
      for (const auto& info : inputs_) names += (names.empty() ? "" : ", ") + info.name;
      return invalid_argument("model " + label_ + " has no input '" + t.name +
                              "'; inputs: " + names);
    }
    if (it->dtype != t.dtype) {
      return invalid_argument("input '" + t.name + "' of " + label_ + " expects " +
                              std::string(dtype_name(it->dtype)) + ", got " +
                              std::string(dtype_name(t.dtype)));
    }
    bool shape_ok = it->shape.size() == t.shape.size();
    for (size_t d = 0; shape_ok && d < t.shape.size(); ++d) {
      shape_ok = it->shape[d] < 0 || it->shape[d] == t.shape[d];
    }
    if (!shape_ok) {
      return invalid_argument("input '" + t.name + "' of " + label_ + " expects shape " +
                              shape_to_string(it->shape) + ", got " + shape_to_string(t.shape));
    }
    RETURN_IF_ERROR(t.validate());
  }
  if (inputs.size() != inputs_.size()) {
    return invalid_argument("model " + label_ + " needs " + std::to_string(inputs_.size()) +
                            " inputs, got " + std::to_string(inputs.size()));
  }
  return ok_status();
}

Result<std::vector<Tensor>> OrtSession::run(const std::vector<Tensor>& inputs,
                                            const std::vector<std::string>& output_names) {
  RETURN_IF_ERROR(check_inputs(inputs));
  try {
    std::vector<Ort::Value> values;
    std::vector<const char*> in_names;
    values.reserve(inputs.size());
    for (const Tensor& t : inputs) {
      // ORT only reads inputs; the const_cast avoids copying the buffer.
      values.push_back(Ort::Value::CreateTensor(
          impl_->memory_info, const_cast<uint8_t*>(t.data.data()), t.data.size(), t.shape.data(),
          t.shape.size(), static_cast<ONNXTensorElementDataType>(t.dtype)));
      in_names.push_back(t.name.c_str());
    }
    std::vector<std::string> wanted = output_names;
    if (wanted.empty()) {
      for (const auto& info : outputs_) wanted.push_back(info.name);
    }
    std::vector<const char*> out_names;
    for (const auto& name : wanted) out_names.push_back(name.c_str());

    Stopwatch watch;
    auto outs = impl_->session.Run(Ort::RunOptions{nullptr}, in_names.data(), values.data(),
                                   values.size(), out_names.data(), out_names.size());
    last_run_ns_ = watch.elapsed_ns();

    std::vector<Tensor> result;
    result.reserve(outs.size());
    for (size_t i = 0; i < outs.size(); ++i) {
      auto info = outs[i].GetTensorTypeAndShapeInfo();
      Tensor t;
      t.name = wanted[i];
      t.dtype = static_cast<DType>(info.GetElementType());
      t.shape = info.GetShape();
      const size_t bytes = info.GetElementCount() * dtype_size_bytes(t.dtype);
      const auto* src = static_cast<const uint8_t*>(outs[i].GetTensorRawData());
      t.data.assign(src, src + bytes);
      result.push_back(std::move(t));
    }
    return result;
  } catch (const Ort::Exception& e) {
    return invalid_argument("ONNX Runtime failed running " + label_ + ": " + e.what());
  } catch (const std::bad_alloc&) {
    return resource_exhausted("out of memory running " + label_);
  }
}

Result<std::string> OrtSession::end_profiling() {
  if (!impl_->profiling) return failed_precondition("profiling was not enabled for " + label_);
  try {
    auto path = impl_->session.EndProfilingAllocated(impl_->allocator);
    impl_->profiling = false;
    return std::string(path.get());
  } catch (const Ort::Exception& e) {
    return internal_error(std::string("ending ONNX Runtime profiling: ") + e.what());
  }
}

}  // namespace edgetier
