/// User-space link shaper fidelity (tier::LinkShaper), measured side by side in one run:
///  - 1 MB and 10 MB requests from a TierClient shaped at 10 and 200 Mbit/s to a tier on
///    127.0.0.1; link time (shaped - unshaped) against bytes*8/rate.
/// The non-root fallback of the testbed shapes in the client (TierClientOptions::link) instead of
/// with tbf/ifb. Each repetition sends the same float tensor once through a shaped client and once
/// through an unshaped one (alternating order), so compute, copies and gRPC over loopback cancel
/// out; what is left is the time the shaper adds, compared with the ideal serialisation time.
/// Target: every ratio within 1.00 +- 0.05 (median of the repetitions).
///
///   bench_shaper [--reps N] [--check]
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/percentile.h"
#include "graph/builder.h"
#include "graph/model_io.h"
#include "tier/client.h"
#include "tier/local_tier.h"
#include "tier/protocol.h"

namespace fs = std::filesystem;
using namespace edgetier;

namespace {

constexpr int64_t kDeadlineMs = 120000;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "bench_shaper: %s\n", message.c_str());
  std::exit(1);
}

template <typename T>
T unwrap(Result<T> r, const std::string& what) {
  if (!r.ok()) die(what + ": " + r.status().to_string());
  return std::move(r).value();
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five;
  in >> one >> five;
  return one + " " + five;
}

// A model whose input is a float tensor of `payload_bytes` and whose output is one float
// (GlobalAveragePool over {1, 1, 1, N}): the request carries the payload, the response is tiny.
std::string write_payload_model(const fs::path& dir, const std::string& name,
                                int64_t payload_bytes) {
  GraphBuilder b(name, 17, 1);
  const std::string x = b.input("x", {1, 1, 1, payload_bytes / 4});
  b.output(b.global_avg_pool(x));
  const auto model = unwrap(b.build(), "building " + name);
  const std::string path = (dir / (name + ".onnx")).string();
  if (Status st = save_model(model, path); !st.ok()) die("saving " + path + ": " + st.to_string());
  return path;
}

struct Payload {
  int64_t bytes;
  std::string model;
  std::vector<Tensor> inputs;
  int64_t message_bytes;  // the ModelInferRequest the shaper is charged with
};

struct Case {
  double rate_mbit;
  const Payload* payload;
  tier::TierClient* shaped;
  std::vector<double> shaped_s, unshaped_s, ratios;
};

double timed_request(tier::TierClient* client, const Payload& p) {
  Stopwatch watch;
  auto result = unwrap(client->infer(p.model, p.inputs, kDeadlineMs), "request to " + p.model);
  const double seconds = static_cast<double>(watch.elapsed_ns()) * 1e-9;
  if (result.outputs.empty()) die(p.model + " answered with no outputs");
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 3;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--check") {
      check = true;
    } else {
      std::fprintf(stderr, "usage: bench_shaper [--reps N] [--check]\n");
      return 2;
    }
  }

  const fs::path work = fs::temp_directory_path() / ("bench_shaper-" + std::to_string(getpid()));
  fs::create_directories(work);
  std::vector<Payload> payloads;
  for (int64_t bytes : {int64_t{1000000}, int64_t{10000000}}) {
    Payload p;
    p.bytes = bytes;
    p.model = "payload_" + std::to_string(bytes / 1000000) + "mb";
    Tensor x = Tensor::zeros("x", DType::kFloat32, {1, 1, 1, bytes / 4});
    for (size_t i = 0; i < x.num_elements(); ++i)
      x.data_as<float>()[i] = 0.001f * static_cast<float>(i % 997);
    inference::ModelInferRequest request;
    request.set_model_name(p.model);
    request.set_id("1");
    tier::add_raw_input(&request, x);
    p.message_bytes = static_cast<int64_t>(request.ByteSizeLong());
    p.inputs.push_back(std::move(x));
    payloads.push_back(std::move(p));
  }

  tier::LocalTierOptions options;
  options.binary = EDGETIER_BINARY;
  options.tier = "edge";
  // Inference over loopback TCP; control over an owner-only unix socket (TCP control needs a token).
  options.listen = {"127.0.0.1:0", "unix:" + (work / "edge.sock").string()};
  options.threads = 1;
  options.log_path = (work / "edge.log").string();
  // The payload models are written into `work`; the tier loads them by path from there.
  options.extra_args = {"--model-root", work.string()};
  auto tier_process = unwrap(tier::LocalTier::start(options), "starting the tier");
  const std::string address = tier_process->address();
  auto unshaped = unwrap(tier::TierClient::connect(address), "unshaped client");
  auto controller = unwrap(tier::TierClient::connect(tier_process->addresses().at(1)), "control");
  for (const Payload& p : payloads) {
    control::LoadModelRequest load;
    load.set_model_name(p.model);
    load.clear_parts();
    load.add_parts()->set_path(write_payload_model(work, p.model, p.bytes));
    (void)unwrap(controller->load_model(load), "LoadModel " + p.model);
  }

  std::vector<std::unique_ptr<tier::TierClient>> shaped_clients;
  std::vector<Case> cases;
  for (double rate : {10.0, 200.0}) {
    tier::TierClientOptions shaped_options;
    shaped_options.link.rate_mbit = rate;
    shaped_options.link.delay_ms = 0;
    shaped_clients.push_back(unwrap(tier::TierClient::connect(address, shaped_options),
                                    "shaped client at " + std::to_string(rate) + " Mbit/s"));
    for (const Payload& p : payloads) cases.push_back({rate, &p, shaped_clients.back().get()});
  }

  std::printf("bench_shaper: tier on %s, %d repetition%s, host load average %s\n", address.c_str(),
              reps, reps == 1 ? "" : "s", load_average().c_str());
  for (const Payload& p : payloads) {
    std::printf("  %s: %lld B float tensor, ModelInferRequest %lld B (+%lld B over the payload)\n",
                p.model.c_str(), static_cast<long long>(p.bytes),
                static_cast<long long>(p.message_bytes),
                static_cast<long long>(p.message_bytes - p.bytes));
  }

  // Warm-up: connections, HTTP/2 windows and the tier's sessions; not measured.
  for (const Payload& p : payloads)
    for (int i = 0; i < 2; ++i) (void)timed_request(unshaped.get(), p);
  for (auto& client : shaped_clients) (void)timed_request(client.get(), payloads.front());

  // Interleaved: every repetition visits every case, shaped and unshaped back to back, in
  // alternating order so drift on a shared machine hits both alike.
  for (int rep = 0; rep < reps; ++rep) {
    for (size_t k = 0; k < cases.size(); ++k) {
      Case& c = cases[k];
      double shaped_s = 0, unshaped_s = 0;
      if ((rep + k) % 2 == 0) {
        shaped_s = timed_request(c.shaped, *c.payload);
        unshaped_s = timed_request(unshaped.get(), *c.payload);
      } else {
        unshaped_s = timed_request(unshaped.get(), *c.payload);
        shaped_s = timed_request(c.shaped, *c.payload);
      }
      const double ideal_s = static_cast<double>(c.payload->bytes) * 8.0 / (c.rate_mbit * 1e6);
      c.shaped_s.push_back(shaped_s);
      c.unshaped_s.push_back(unshaped_s);
      c.ratios.push_back((shaped_s - unshaped_s) / ideal_s);
    }
  }

  std::printf(
      "\nuserspace link fidelity (LinkShaper in the client, no delay; link = shaped - "
      "unshaped, paired per repetition)\n");
  std::printf("%10s %10s %9s %10s %11s %9s %8s %8s %8s\n", "rate_mbit", "bytes", "ideal_s",
              "shaped_s", "unshaped_s", "link_s", "ratio", "min", "max");
  bool ok = true;
  for (const Case& c : cases) {
    const double ideal_s = static_cast<double>(c.payload->bytes) * 8.0 / (c.rate_mbit * 1e6);
    const double ratio = median(c.ratios);
    const bool within = std::fabs(ratio - 1.0) <= 0.05;
    ok = ok && within;
    std::vector<double> link_s;
    for (size_t i = 0; i < c.ratios.size(); ++i) link_s.push_back(c.ratios[i] * ideal_s);
    std::printf(
        "%10.0f %10lld %9.3f %10.3f %11.4f %9.3f %8.3f %8.3f %8.3f%s\n", c.rate_mbit,
        static_cast<long long>(c.payload->bytes), ideal_s, median(c.shaped_s), median(c.unshaped_s),
        median(link_s), ratio, *std::min_element(c.ratios.begin(), c.ratios.end()),
        *std::max_element(c.ratios.begin(), c.ratios.end()), within ? "" : "  <- outside 5%");
  }
  std::printf("userspace link target (every ratio within 1.00 +- 0.05): %s\n",
              ok ? "met" : "not met");

  shaped_clients.clear();
  unshaped.reset();
  tier_process.reset();
  std::error_code ec;
  fs::remove_all(work, ec);
  return check && !ok ? 1 : 0;
}
