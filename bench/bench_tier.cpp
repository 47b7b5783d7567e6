/// Tier server benchmarks, measured side by side in one run:
/// - overhead: a whole model (Identity strategy) on one tier over loopback TCP, end to end,
///   against decode + preprocess + run in this process with the same model and threads;
/// - TLS: the same image request end to end to a tier whose TCP listener is TLS against a
///   plaintext one, interleaved (unshaped loopback), with the ratio;
/// - wire efficiency: bytes a socket relay counts per request on the client->tier link against
///   the payload (encoded image or tensor), and what the study's JSON+base64 transport needs.
///
///   bench_tier [--model M.onnx] [--image IMG] [-n N] [--threads T] [--check]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/files.h"
#include "graph/builder.h"
#include "graph/model_io.h"
#include "runtime/ort_session.h"
#include "runtime/preprocess.h"
#include "tier/client.h"
#include "tier/deploy.h"
#include "tier/local_tier.h"
#include "tls_floor.h"

namespace fs = std::filesystem;
using namespace edgetier;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0 : (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]));
}

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "bench_tier: %s\n", message.c_str());
  std::exit(1);
}

template <typename T>
T unwrap(Result<T> r, const std::string& what) {
  if (!r.ok()) die(what + ": " + r.status().to_string());
  return std::move(r).value();
}

// A TCP relay on 127.0.0.1 that counts the bytes crossing it in each direction: what a link
// between the client and the tier carries (HTTP/2 framing, headers and gRPC prefixes included).
class CountingRelay {
 public:
  explicit CountingRelay(int target_port) : target_port_(target_port) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(listen_fd_, 4) != 0) {
      die("relay: cannot listen on 127.0.0.1");
    }
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~CountingRelay() {
    stop_ = true;
    thread_.join();
    close(listen_fd_);
  }
  int port() const { return port_; }
  int64_t up() const { return up_.load(); }
  int64_t down() const { return down_.load(); }

 private:
  void serve() {
    std::vector<std::thread> pumps;
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      const int client = accept(listen_fd_, nullptr, nullptr);
      if (client < 0) continue;
      const int server = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<uint16_t>(target_port_));
      if (connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        close(client);
        close(server);
        continue;
      }
      pumps.emplace_back([this, client, server] { pump(client, server); });
    }
    for (auto& t : pumps) t.join();
  }

  void pump(int client, int server) {
    std::vector<char> buffer(1 << 16);
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    while (!stop_) {
      if (poll(fds, 2, 100) <= 0) continue;
      for (int i = 0; i < 2; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const ssize_t n = read(fds[i].fd, buffer.data(), buffer.size());
        if (n <= 0) {
          close(client);
          close(server);
          return;
        }
        (i == 0 ? up_ : down_).fetch_add(n);
        for (ssize_t sent = 0; sent < n;) {
          const ssize_t w =
              write(fds[1 - i].fd, buffer.data() + sent, static_cast<size_t>(n - sent));
          if (w <= 0) break;
          sent += w;
        }
      }
    }
    close(client);
    close(server);
  }

  int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> up_{0}, down_{0};
  std::thread thread_;
};

std::string base64_encode(const std::string& in) {
  static const char* kTable = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = static_cast<uint8_t>(in[i]) << 16 | static_cast<uint8_t>(in[i + 1]) << 8 |
                       static_cast<uint8_t>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kTable[(v >> s) & 63];
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += i + 1 < in.size() ? kTable[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Bytes of one request + response in the study's transport: HTTP/1.1 with JSON bodies holding
// base64 payloads (images and tensors alike).
int64_t json_base64_bytes(const std::string& request_payload, const std::vector<Tensor>& outputs) {
  const nlohmann::json request = {{"inputs",
                                   {{{"name", "input"},
                                     {"datatype", "BYTES"},
                                     {"shape", {1}},
                                     {"data", base64_encode(request_payload)}}}}};
  nlohmann::json response_outputs = nlohmann::json::array();
  for (const Tensor& t : outputs) {
    response_outputs.push_back(
        {{"name", t.name},
         {"datatype", "FP32"},
         {"shape", t.shape},
         {"data", base64_encode(std::string(t.data.begin(), t.data.end()))}});
  }
  const nlohmann::json response = {{"model_name", "model"}, {"outputs", response_outputs}};
  const std::string request_body = request.dump(), response_body = response.dump();
  const std::string request_head =
      "POST /v2/models/model/infer HTTP/1.1\r\nHost: 10.0.0.2:8000\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(request_body.size()) + "\r\n\r\n";
  const std::string response_head =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(response_body.size()) + "\r\n\r\n";
  return static_cast<int64_t>(request_head.size() + request_body.size() + response_head.size() +
                              response_body.size());
}

int64_t tensor_bytes(const std::vector<Tensor>& ts) {
  int64_t n = 0;
  for (const auto& t : ts) n += static_cast<int64_t>(t.size_bytes());
  return n;
}

std::string default_image() {
  const fs::path dir = fs::path(EDGETIER_SHARED_DIR) / "paper-data" / "images" / "imagenet";
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) files.push_back(entry.path().string());
  if (files.empty()) die("no images under " + dir.string() + "; pass --image");
  std::sort(files.begin(), files.end());
  return files.front();
}

}  // namespace

/// Starts a tier with `extra` flags (inference on loopback TCP, control on a unix socket) and
/// loads the whole model onto it.
std::unique_ptr<tier::LocalTier> start_loaded_tier(tier::LocalTierOptions options,
                                                   const fs::path& work, const std::string& label,
                                                   const std::vector<std::string>& extra,
                                                   const control::LoadModelRequest& load) {
  options.listen = {"127.0.0.1:0", "unix:" + (work / (label + ".sock")).string()};
  options.extra_args = extra;
  options.log_path = (work / (label + ".log")).string();
  auto process = unwrap(tier::LocalTier::start(options), "starting the " + label + " tier");
  auto controller = unwrap(tier::TierClient::connect(process->addresses().at(1)), "control");
  (void)unwrap(controller->load_model(load), "LoadModel on the " + label + " tier");
  return process;
}

/// Per-request times (ms) of one side of the TLS comparison.
struct SideTimes {
  std::vector<double> e2e, pre, compute, transfer;
};

struct TlsComparison {
  SideTimes plain, tls;
  bench::TlsFloor floor;  // OpenSSL's record layer alone on the same request and certificate
};

/// TLS against plaintext: two tiers alike but for `--tls-cert` (a fresh self-signed
/// certificate for 127.0.0.1), the same image request to each in ABBA order, and the least TLS
/// can cost on that request.
TlsComparison measure_tls(const tier::LocalTierOptions& options, const fs::path& work,
                          const control::LoadModelRequest& load, const std::string& image, int n) {
  const std::string cert = (work / "tls.pem").string(), key = (work / "tls.key").string();
  const std::string openssl =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
      "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " + cert +
      " 2>/dev/null";
  if (std::system(openssl.c_str()) != 0) die("openssl could not make a test certificate");
  auto plain = start_loaded_tier(options, work, "plain", {}, load);
  auto tls = start_loaded_tier(options, work, "tls", {"--tls-cert", cert, "--tls-key", key}, load);
  auto plain_client = unwrap(tier::TierClient::connect(plain->address()), "plain client");
  tier::TierClientOptions tls_options;
  tls_options.security.tls_ca_pem = unwrap(read_file_bytes(cert), "certificate");
  auto tls_client = unwrap(tier::TierClient::connect(tls->address(), tls_options), "TLS client");
  TlsComparison c;
  // One request; its times go to `t` (none for warm-up).
  auto request = [&](tier::TierClient& client, SideTimes* t) {
    auto r = unwrap(client.infer_image("model", image, 60000), "request");
    if (t) {
      t->e2e.push_back(ns_to_ms(r.breakdown.end_to_end_ns));
      t->pre.push_back(ns_to_ms(r.breakdown.hops[0].preprocess_ns));
      t->compute.push_back(ns_to_ms(r.breakdown.hops[0].compute_ns));
      t->transfer.push_back(ns_to_ms(r.breakdown.links[0].transfer_ns));
    }
  };
  for (int i = 0; i < 3; ++i) {
    request(*plain_client, nullptr);
    request(*tls_client, nullptr);
  }
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < 2; ++k) {
      if ((i + k) % 2 == 0)
        request(*plain_client, &c.plain);
      else
        request(*tls_client, &c.tls);
    }
  }
  c.floor = unwrap(bench::measure_tls_floor(cert, key, image, 31), "TLS floor");
  return c;
}

int main(int argc, char** argv) {
  std::string model_path, image_path;
  int n = 60, threads = 1;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value after " + a);
      return argv[++i];
    };
    if (a == "--model")
      model_path = next();
    else if (a == "--image")
      image_path = next();
    else if (a == "-n")
      n = std::stoi(next());
    else if (a == "--threads")
      threads = std::stoi(next());
    else if (a == "--check")
      check = true;
    else
      die("unknown argument '" + a +
          "'; usage: bench_tier [--model M] [--image I] [-n N] [--threads T] [--check]");
  }
  const fs::path build_dir = fs::canonical("/proc/self/exe").parent_path();
  if (model_path.empty()) {
    model_path = (build_dir / "ref-models" / "resnet18.onnx").string();
    if (!fs::exists(model_path)) {
      die(model_path +
          " not found; export it with `/usr/bin/python3 scripts/export_torchvision.py "
          "resnet18 -o build/ref-models` or pass --model");
    }
  }
  if (image_path.empty()) image_path = default_image();
  const std::string image = unwrap(read_file_bytes(image_path), "image");
  const auto preprocess = unwrap(tier::derive_preprocess(model_path), "preprocess");
  if (!preprocess) die(model_path + " does not take an image input");

  const fs::path work = fs::temp_directory_path() / ("bench_tier-" + std::to_string(getpid()));
  fs::create_directories(work);
  tier::LocalTierOptions options;
  options.binary = EDGETIER_BINARY;
  options.tier = "edge";
  // Inference over loopback TCP; control over an owner-only unix socket (TCP control needs a token).
  options.listen = {"127.0.0.1:0", "unix:" + (work / "edge.sock").string()};
  options.threads = threads;
  options.log_path = (work / "edge.log").string();
  auto tier_process = unwrap(tier::LocalTier::start(options), "starting the tier");
  auto client = unwrap(tier::TierClient::connect(tier_process->address()), "client");
  auto controller = unwrap(tier::TierClient::connect(tier_process->addresses().at(1)), "control");

  control::LoadModelRequest load;
  load.set_model_name("model");
  load.clear_parts();
  // Parts go up as bytes: a tier without --model-root loads no path.
  load.add_parts()->set_bytes(unwrap(read_file_bytes(model_path), "reading the model"));
  load.set_preprocess_json(preprocess_to_json(*preprocess).dump());
  const auto loaded = unwrap(controller->load_model(load), "LoadModel");

  SessionOptions session_options;
  session_options.intra_op_threads = threads;
  auto session = unwrap(OrtSession::from_file(model_path, session_options), "in-process session");
  auto in_process = [&]() -> std::pair<double, std::vector<Tensor>> {
    Stopwatch watch;
    auto x = unwrap(decode_and_preprocess(image, *preprocess), "preprocess");
    auto outputs = unwrap(session->run({x}), "in-process run");
    return {watch.elapsed_ms(), std::move(outputs)};
  };
  auto over_tier = [&]() {
    return unwrap(client->infer_image("model", image, 60000), "tier request");
  };

  std::printf("bench_tier: %s (%d intra-op thread%s), image %s (%zu bytes), %d interleaved pairs\n",
              fs::path(model_path).filename().c_str(), threads, threads == 1 ? "" : "s",
              fs::path(image_path).filename().c_str(), image.size(), n);
  std::printf("tier cold start: session %.1f ms, first run %.1f ms (not in any latency below)\n",
              loaded.load_ms(), loaded.warmup_ms());
  for (int i = 0; i < 3; ++i) {
    (void)in_process();
    (void)over_tier();
  }
  std::vector<double> tier_ms, local_ms, pre_ms, compute_ms, link_ms, serialize_ms;
  std::vector<Tensor> outputs;
  for (int i = 0; i < n; ++i) {
    // ABBA order so drift on a shared machine hits both sides alike.
    for (int k = 0; k < 2; ++k) {
      if ((i + k) % 2 == 0) {
        auto [ms, outs] = in_process();
        local_ms.push_back(ms);
        outputs = std::move(outs);
      } else {
        auto r = over_tier();
        const auto& b = r.breakdown;
        tier_ms.push_back(ns_to_ms(b.end_to_end_ns));
        pre_ms.push_back(ns_to_ms(b.hops[0].preprocess_ns));
        compute_ms.push_back(ns_to_ms(b.hops[0].compute_ns));
        serialize_ms.push_back(ns_to_ms(b.hops[0].serialize_ns));
        link_ms.push_back(ns_to_ms(b.links[0].transfer_ns));
      }
    }
  }
  const double tier_median = median(tier_ms), local_median = median(local_ms);
  const double ratio = tier_median / local_median, diff = tier_median - local_median;
  const bool overhead_ok = ratio <= 1.05 || diff <= 2.0;
  std::printf(
      "\noverhead (Identity on one tier over 127.0.0.1 TCP vs in-process, same model/threads)\n");
  std::printf("  in-process decode+preprocess+run median  %8.2f ms\n", local_median);
  std::printf("  tier end-to-end median                   %8.2f ms\n", tier_median);
  std::printf("  ratio %.3f (target <= 1.05), difference %+.2f ms (or <= 2 ms): %s\n", ratio, diff,
              overhead_ok ? "PASS" : "FAIL");
  std::printf(
      "  tier medians: preprocess %.2f ms, compute %.2f ms, serialize %.3f ms, "
      "client<->tier transfer %.2f ms\n",
      median(pre_ms), median(compute_ms), median(serialize_ms), median(link_ms));

  const TlsComparison tls = measure_tls(options, work, load, image, n);
  const double plain_median = median(tls.plain.e2e), tls_median = median(tls.tls.e2e);
  const double tls_ratio = tls_median / plain_median;
  const bool tls_ok = tls_ratio <= 1.05;
  std::printf("\nTLS (the same request to a TLS tier and a plaintext one, 127.0.0.1, unshaped)\n");
  std::printf("  plaintext end-to-end median  %8.2f ms\n", plain_median);
  std::printf("  TLS end-to-end median        %8.2f ms\n", tls_median);
  std::printf("  ratio %.3f (target <= 1.05), difference %+.2f ms: %s\n", tls_ratio,
              tls_median - plain_median, tls_ok ? "PASS" : "FAIL");
  // The least TLS can cost here: OpenSSL's record layer alone on this payload, no transport.
  // gRPC 1.51's secure endpoint encrypts a whole write (the whole message) before sending
  // it, so the client's encryption and the tier's decryption add up rather than overlap.
  const double encrypt_ms = median(tls.floor.encrypt_ms);
  const double decrypt_ms = median(tls.floor.decrypt_ms);
  const double floor_ms = encrypt_ms + decrypt_ms;
  std::printf(
      "  TLS record layer alone (OpenSSL in this process, %s): encrypt %.2f ms + decrypt "
      "%.2f ms of the %zu B request = %.2f ms, ratio %.3f before any copy or wake-up\n",
      tls.floor.cipher.c_str(), encrypt_ms, decrypt_ms, image.size(), floor_ms,
      (plain_median + floor_ms) / plain_median);
  // Where the difference lies: TLS is paid in the transfer (the client encrypts, the tier
  // decrypts); the tier's own work is the same on both.
  for (const SideTimes* t : {&tls.plain, &tls.tls}) {
    std::printf(
        "  %s medians: preprocess %.2f ms, compute %.2f ms, client<->tier transfer %.2f ms\n",
        t == &tls.plain ? "plaintext" : "TLS      ", median(t->pre), median(t->compute),
        median(t->transfer));
  }

  // Wire efficiency: the same requests through a counting relay.
  const size_t colon = tier_process->address().rfind(':');
  CountingRelay relay(std::stoi(tier_process->address().substr(colon + 1)));
  auto relayed = unwrap(tier::TierClient::connect("127.0.0.1:" + std::to_string(relay.port())),
                        "relay client");
  (void)unwrap(relayed->infer_image("model", image, 60000), "relay warm-up");  // connection setup
  constexpr int kWireRequests = 10;
  int64_t up0 = relay.up(), down0 = relay.down();
  int64_t proto_in = 0;
  for (int i = 0; i < kWireRequests; ++i) {
    auto r = unwrap(relayed->infer_image("model", image, 60000), "relayed request");
    proto_in += r.breakdown.hops[0].bytes_in;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const double up = static_cast<double>(relay.up() - up0) / kWireRequests;
  const double down = static_cast<double>(relay.down() - down0) / kWireRequests;
  const double out_bytes = static_cast<double>(tensor_bytes(outputs));
  const double image_ratio = (up + down) / (static_cast<double>(image.size()) + out_bytes);
  const double image_json = static_cast<double>(json_base64_bytes(image, outputs)) /
                            (static_cast<double>(image.size()) + out_bytes);

  // A tensor payload (a 1x64x56x56 float feature map, like a ResNet cut) to a small part.
  GraphBuilder b("feature_head", 17, 1);
  std::string x = b.input("features", {1, 64, 56, 56});
  x = b.gemm(b.flatten(b.global_avg_pool(x)), 1000);
  b.output(x);
  const auto head = unwrap(b.build(), "feature head");
  const std::string head_path = (work / "head.onnx").string();
  if (!save_model(head, head_path).ok()) die("cannot save " + head_path);
  control::LoadModelRequest load_head;
  load_head.set_model_name("head");
  load_head.clear_parts();
  load_head.add_parts()->set_bytes(unwrap(read_file_bytes(head_path), "reading the head"));
  (void)unwrap(controller->load_model(load_head), "LoadModel head");
  Tensor features = Tensor::zeros("features", DType::kFloat32, {1, 64, 56, 56});
  for (size_t i = 0; i < features.num_elements(); ++i)
    features.data_as<float>()[i] = 0.001f * static_cast<float>(i % 997);
  auto head_result = unwrap(relayed->infer("head", {features}, 60000), "tensor warm-up");
  up0 = relay.up();
  down0 = relay.down();
  for (int i = 0; i < kWireRequests; ++i)
    (void)unwrap(relayed->infer("head", {features}, 60000), "tensor request");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const double t_up = static_cast<double>(relay.up() - up0) / kWireRequests;
  const double t_down = static_cast<double>(relay.down() - down0) / kWireRequests;
  const double t_payload =
      static_cast<double>(features.size_bytes() + tensor_bytes(head_result.outputs));
  const double tensor_ratio = (t_up + t_down) / t_payload;
  const double tensor_json =
      static_cast<double>(json_base64_bytes(std::string(features.data.begin(), features.data.end()),
                                            head_result.outputs)) /
      t_payload;

  const bool wire_ok = image_ratio <= 1.02 && tensor_ratio <= 1.02;
  const bool json_ok = image_json >= 1.33 && tensor_json >= 1.33;
  std::printf("\nwire efficiency (bytes per request counted on the socket, both directions)\n");
  std::printf(
      "  image:  %.0f B up + %.0f B down for %zu B image + %.0f B outputs = %.4fx "
      "(protobuf message %.0f B = %.4fx of the image)\n",
      up, down, image.size(), out_bytes, image_ratio, static_cast<double>(proto_in) / kWireRequests,
      static_cast<double>(proto_in) / kWireRequests / static_cast<double>(image.size()));
  std::printf("  tensor: %.0f B up + %.0f B down for %.0f B of tensors = %.4fx\n", t_up, t_down,
              t_payload, tensor_ratio);
  std::printf("  target <= 1.02x: %s\n", wire_ok ? "PASS" : "FAIL");
  std::printf(
      "  JSON+base64 over HTTP/1.1 (the study's transport): image %.4fx, tensor %.4fx "
      "(expected >= 1.33x): %s\n",
      image_json, tensor_json, json_ok ? "yes" : "NO");
  relayed.reset();
  tier_process.reset();
  std::error_code ec;
  fs::remove_all(work, ec);
  return check && !(overhead_ok && tls_ok && wire_ok && json_ok) ? 1 : 0;
}
