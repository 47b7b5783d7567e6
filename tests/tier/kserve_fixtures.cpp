/// The Python KServe v2 server and its fixture model.
#include "tier/kserve_fixtures.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <stdexcept>

#include "core/tensor.h"
#include "graph/builder.h"
#include "graph/model_io.h"
#include "runtime/preprocess.h"

namespace edgetier::tier_test {
namespace {

const std::string kProtoDir = std::string(EDGETIER_SOURCE_DIR) + "/tests/tier/kserve";

/// Python stubs of KServe's proto, generated once per test process into the build folder.
std::string stubs_dir() {
  static std::once_flag once;
  static std::string dir = std::string(EDGETIER_BUILD_DIR) + "/kserve-stubs";
  std::call_once(once, [] {
    std::filesystem::create_directories(dir);
    const std::string command = "/usr/bin/python3 -m grpc_tools.protoc -I " + kProtoDir +
                                " --python_out=" + dir + " --grpc_python_out=" + dir + " " +
                                kProtoDir + "/grpc_predict_v2.proto";
    if (std::system(command.c_str()) != 0)
      throw std::runtime_error("could not generate the KServe stubs: " + command);
  });
  return dir;
}

Tensor initializer_tensor(const onnx::TensorProto& t) {
  Tensor out = Tensor::zeros(t.name(), DType::kFloat32, {t.dims().begin(), t.dims().end()});
  if (!t.raw_data().empty()) {
    std::memcpy(out.data.data(), t.raw_data().data(), out.data.size());
  } else {
    for (int i = 0; i < t.float_data_size(); ++i) out.data_as<float>()[i] = t.float_data(i);
  }
  return out;
}

std::string join(const std::vector<int64_t>& shape) {
  std::string out;
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? "," : "") + std::to_string(shape[i]);
  return out;
}

}  // namespace

ForeignModel make_foreign_model(const TempDir& dir) {
  GraphBuilder b("foreign", 17, 11);
  std::string x = b.input("input", {1, 3, 16, 16});
  x = b.relu(b.conv(x, {.out_channels = 8}));
  ForeignModel m;
  m.cut = b.flatten(b.global_avg_pool(x));
  m.output = b.gemm(m.cut, 10);
  b.output(m.output);
  auto model = b.build();
  if (!model.ok()) throw std::runtime_error(model.status().to_string());
  m.model_path = dir.file("foreign.onnx");
  if (Status st = save_model(*model, m.model_path); !st.ok())
    throw std::runtime_error(st.to_string());
  for (const auto& node : model->graph().node()) {
    if (node.op_type() != "Gemm") continue;
    for (const auto& init : model->graph().initializer()) {
      const bool weight = init.name() == node.input(1), bias = init.name() == node.input(2);
      if (!weight && !bias) continue;
      const std::string path = dir.file(weight ? "weight.npy" : "bias.npy");
      if (Status st = save_npy(initializer_tensor(init), path); !st.ok())
        throw std::runtime_error(st.to_string());
      (weight ? m.weight_npy : m.bias_npy) = path;
    }
  }
  if (m.weight_npy.empty() || m.bias_npy.empty())
    throw std::runtime_error("fixture: the Gemm's initializers were not found");
  return m;
}

KserveServer::KserveServer(const ForeignModel& model, const KserveServerOptions& options,
                           const std::string& log_path) {
  std::vector<std::string> args = {"/usr/bin/python3", kProtoDir + "/kserve_server.py",
                                   "--stubs", stubs_dir(),
                                   "--model", options.model,
                                   "--version", options.version,
                                   "--input", model.cut,
                                   "--input-shape", join(options.input_shape),
                                   "--output", model.output,
                                   "--weight", model.weight_npy,
                                   "--bias", model.bias_npy};
  if (!options.token.empty()) args.insert(args.end(), {"--token", options.token});
  int out[2];
  if (::pipe(out) != 0) {
    error_ = "pipe failed";
    return;
  }
  pid_ = ::fork();
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(out[1], STDOUT_FILENO);
    const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (log >= 0) ::dup2(log, STDERR_FILENO);
    ::close(out[0]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  // "PORT <n>" once it serves; the interpreter and grpc import take a second or two.
  std::string line;
  pollfd fd{out[0], POLLIN, 0};
  while (line.find('\n') == std::string::npos && ::poll(&fd, 1, 30000) > 0) {
    char buf[256];
    const ssize_t n = ::read(out[0], buf, sizeof(buf));
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  if (line.rfind("PORT ", 0) == 0) port_ = std::atoi(line.c_str() + 5);
  if (port_ <= 0) error_ = "the KServe server did not start: '" + line + "'\n" + read_file(log_path);
}

void KserveServer::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

KserveServer::~KserveServer() { kill(); }

}  // namespace edgetier::tier_test
