/// `edgetier request IMAGE... [-n N]`: send images to the first tier, print each request's
/// end-to-end latency and per-hop breakdown, then a summary with medians.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>

#include "cli/commands.h"
#include "cli/tier_flags.h"
#include "core/clock.h"
#include "core/files.h"
#include "core/percentile.h"
#include "metrics/classification.h"
#include "runtime/preprocess.h"
#include "testbed/endpoints.h"
#include "tier/client.h"
#include "tier/deploy.h"
#include "tier/response.h"

namespace edgetier::cli {
namespace {

// Type-7 percentile (core/percentile.h) of nanosecond samples, in ms; 0 without samples.
double percentile_ms(const std::vector<int64_t>& values_ns, double pct) {
  if (values_ns.empty()) return 0;
  std::vector<double> ms;
  for (int64_t v : values_ns) ms.push_back(ns_to_ms(v));
  return percentile(ms, pct);
}

double median_ms(const std::vector<int64_t>& values_ns) { return percentile_ms(values_ns, 50); }

// The best class: the first id of a classification response (int64, best first), else the
// index of the largest element of the first float output (-1 when there is neither).
int64_t first_output_argmax(const std::vector<Tensor>& outputs) {
  if (outputs.empty() || outputs[0].num_elements() == 0) return -1;
  if (outputs[0].dtype == DType::kInt64) return outputs[0].data_as<int64_t>()[0];
  if (outputs[0].dtype != DType::kFloat32) return -1;
  return argmax(outputs[0].data_as<float>(), static_cast<int64_t>(outputs[0].num_elements()));
}

Result<std::string> only_model(tier::TierClient& client) {
  ASSIGN_OR_RETURN(auto health, client.health(-1));
  if (health.models_size() == 1) return health.models(0).name();
  std::string names;
  for (const auto& m : health.models()) names += (names.empty() ? "" : ", ") + m.name();
  return invalid_argument(
      health.models_size() == 0
          ? "no model is deployed on " + client.address() + "; run edgetier deploy"
          : "several models are deployed (" + names + "); pick one with --model");
}

}  // namespace

std::function<int()> setup_request(CLI::App* app) {
  struct Args {
    std::vector<std::string> images;
    int count = 0;
    int warmup = 1;
    std::string model;
    std::string to;
    std::string testbed;
    std::vector<std::string> tiers;
    std::vector<std::string> links;
    int64_t deadline_ms = 30000;
    std::string response = "raw";
    bool json = false;
    tier::ClientSecurityFiles security;
  };
  auto args = std::make_shared<Args>();
  app->add_option("images", args->images, "JPEG/PNG files, sent in turn")->required();
  app->add_option("-n,--count", args->count, "Requests to send (default: one per image)");
  app->add_option("--warmup", args->warmup, "Unrecorded requests sent first")
      ->capture_default_str();
  app->add_option("--model", args->model, "Model name (default: the only deployed model)");
  app->add_option("--to", args->to, "Address of the first tier (instead of --testbed/--tier)");
  app->add_option("--testbed", args->testbed,
                  "Testbed state file written by `edgetier testbed up`");
  app->add_option("--tier", args->tiers, "Tier endpoint NAME=ADDR, repeatable, in chain order");
  app->add_option("--link", args->links,
                  "User-space emulation client=RATE_MBIT:DELAY_MS of the device's link");
  app->add_option("--deadline-ms", args->deadline_ms, "Deadline of each request")
      ->capture_default_str();
  app->add_option("--response", args->response,
                  "raw (the last part's outputs) or a task (classify: top-5 classes and "
                  "probabilities; segment: a class mask; detect: boxes, scores and labels in the "
                  "image's pixels) for the answering tier to shape")
      ->capture_default_str();
  app->add_flag("--json", args->json, "Print JSON");
  add_client_security_flags(app, &args->security);
  return [args]() {
    auto answer_as = tier::parse_response(args->response);
    if (!answer_as.ok()) return report_error(answer_as.status().with_context("--response"));
    std::string address = args->to;
    tier::TierClientOptions options;
    if (address.empty() || !args->links.empty()) {
      std::vector<std::string> tiers = args->tiers;
      if (!args->to.empty()) tiers = {"client-target=" + args->to};
      auto endpoints =
          testbed::resolve_endpoints(args->testbed, tiers, args->links, args->security);
      if (!endpoints.ok()) return report_error(endpoints.status());
      options.security = endpoints->tiers.empty()
                             ? endpoints->security
                             : endpoints->security_of(endpoints->tiers.front());
      if (address.empty()) address = endpoints->client_address();
      auto link = endpoints->userspace_links.find("client");
      if (link != endpoints->userspace_links.end()) options.link = link->second;
    } else {
      auto security = tier::load_client_security(args->security);
      if (!security.ok()) return report_error(security.status());
      options.security = *security;
    }
    auto client = tier::TierClient::connect(address, options);
    if (!client.ok()) return report_error(client.status());
    std::string model = args->model;
    if (model.empty()) {
      auto only = only_model(**client);
      if (!only.ok()) return report_error(only.status());
      model = *only;
    }
    std::vector<std::string> encoded;
    for (const auto& path : args->images) {
      auto bytes = read_file_bytes(path);
      if (!bytes.ok()) return report_error(bytes.status());
      encoded.push_back(std::move(bytes).value());
    }
    const int count = args->count > 0 ? args->count : static_cast<int>(encoded.size());
    for (int i = 0; i < args->warmup; ++i) {
      auto result = (*client)->infer_image(model, encoded[i % encoded.size()], args->deadline_ms,
                                           *answer_as);
      if (!result.ok()) return report_error(result.status().with_context("warm-up request"));
    }

    nlohmann::json rows = nlohmann::json::array();
    std::vector<int64_t> e2e;
    std::map<std::string, std::vector<int64_t>> stage_ns;  // "mobile.compute" -> samples
    int failures = 0;
    if (!args->json) std::printf("%4s  %-28s %10s  %s\n", "#", "image", "e2e ms", "breakdown (ms)");
    for (int i = 0; i < count; ++i) {
      const size_t k = static_cast<size_t>(i) % encoded.size();
      const std::string name = std::filesystem::path(args->images[k]).filename().string();
      auto result = (*client)->infer_image(model, encoded[k], args->deadline_ms, *answer_as);
      nlohmann::json row = {
          {"index", i}, {"image", args->images[k]}, {"image_bytes", encoded[k].size()}};
      if (!result.ok()) {
        ++failures;
        row["error"] = result.status().to_string();
        if (!args->json)
          std::printf("%4d  %-28s %10s  %s\n", i + 1, name.c_str(), "error",
                      result.status().to_string().c_str());
        rows.push_back(row);
        continue;
      }
      const auto& b = result->breakdown;
      e2e.push_back(b.end_to_end_ns);
      for (const auto& h : b.hops) {
        stage_ns[h.tier + ".preprocess"].push_back(h.preprocess_ns);
        stage_ns[h.tier + ".compute"].push_back(h.compute_ns);
        stage_ns[h.tier + ".serialize"].push_back(h.serialize_ns);
        stage_ns[h.tier + ".queue"].push_back(h.queue_ns);
      }
      for (const auto& l : b.links) stage_ns[l.from + ">" + l.to].push_back(l.transfer_ns);
      row["end_to_end_ms"] = ns_to_ms(b.end_to_end_ns);
      row["output_argmax"] = first_output_argmax(result->outputs);
      if (!b.links.empty()) row["bytes_down"] = b.links[0].bytes_down;  // what the device receives
      row["breakdown"] = tier::breakdown_to_json(b);
      rows.push_back(row);
      if (!args->json) {
        std::printf("%4d  %-28s %10.2f  %s\n", i + 1, name.c_str(), ns_to_ms(b.end_to_end_ns),
                    tier::breakdown_to_text(b).c_str());
      }
    }
    nlohmann::json stages = nlohmann::json::object();
    for (const auto& [stage, samples] : stage_ns) stages[stage] = median_ms(samples);
    nlohmann::json summary = {{"requests", count},
                              {"failures", failures},
                              {"median_ms", median_ms(e2e)},
                              {"p90_ms", percentile_ms(e2e, 90)},
                              {"min_ms", percentile_ms(e2e, 0)},
                              {"max_ms", percentile_ms(e2e, 100)},
                              {"median_stage_ms", stages}};
    if (e2e.empty()) {
      // No latency was measured: none is printed (a 0.00 ms median would read as a result).
      for (const char* key : {"median_ms", "p90_ms", "min_ms", "max_ms"}) summary[key] = nullptr;
    }
    if (args->json) {
      print_json(
          {{"model", model}, {"address", address}, {"requests", rows}, {"summary", summary}});
    } else if (e2e.empty()) {
      std::printf("summary: %d requests, all failed; nothing succeeded, so no latency was "
                  "measured (the errors are above)\n",
                  count);
    } else {
      std::printf(
          "summary: %d requests, %d failed; end-to-end median %.2f ms, p90 %.2f, min %.2f, "
          "max %.2f\n",
          count, failures, median_ms(e2e), percentile_ms(e2e, 90), percentile_ms(e2e, 0),
          percentile_ms(e2e, 100));
      std::printf("median per stage (ms):");
      for (const auto& [stage, value] : stages.items()) {
        if (value.get<double>() >= 0.005)
          std::printf(" %s %.2f", stage.c_str(), value.get<double>());
      }
      std::printf("\n");
    }
    return failures ? 1 : 0;
  };
}

}  // namespace edgetier::cli
