/// A foreign KServe v2 server for the tests: tests/tier/kserve/kserve_server.py (numpy, stubs
/// generated from KServe's published proto into the build folder) on a loopback port, and a
/// fixture model whose upper part is the Gemm that server computes.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "test_util.h"

namespace edgetier::tier_test {

/// input [1,3,16,16] -> conv(8) -> relu -> gap -> flatten -> gemm(10), saved in `dir`, with
/// the Gemm's weights as .npy files for the server.
struct ForeignModel {
  std::string model_path;  // the whole model
  std::string cut;         // the Gemm's input [1, 8]: the tensor crossing to the server
  std::string output;      // the model's only output [1, 10]
  std::string weight_npy;  // [10, 8]
  std::string bias_npy;    // [10]
};
ForeignModel make_foreign_model(const TempDir& dir);

struct KserveServerOptions {
  std::string model = "top";
  std::string version = "1";
  std::vector<int64_t> input_shape = {1, 8};  // what its metadata reports
  std::string token;                          // bearer token it requires
};

/// The Python server as a child process; killed on destruction.
class KserveServer {
 public:
  KserveServer(const ForeignModel& model, const KserveServerOptions& options,
               const std::string& log_path);
  ~KserveServer();
  KserveServer(const KserveServer&) = delete;
  KserveServer& operator=(const KserveServer&) = delete;

  bool ok() const { return port_ > 0; }
  const std::string& error() const { return error_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  void kill();  // SIGKILL, as a server that crashes

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string error_;
};

}  // namespace edgetier::tier_test
