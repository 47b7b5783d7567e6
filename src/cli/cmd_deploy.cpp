/// `edgetier deploy VARIANT_DIR --placement ME`: load a variant's parts onto the running tiers.
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/ops_common.h"
#include "cli/tier_flags.h"
#include "core/files.h"
#include "testbed/endpoints.h"
#include "tier/deploy.h"

namespace edgetier::cli {

std::function<int()> setup_deploy(CLI::App* app) {
  struct Args {
    std::string variant;
    std::string testbed;
    std::vector<std::string> tiers;
    std::vector<std::string> links;
    std::string preprocess;
    tier::DeployOptions options;
    bool json = false;
    tier::ClientSecurityFiles security;
  };
  auto args = std::make_shared<Args>();
  app->add_option("variant", args->variant, "Variant directory (part0.onnx, ...) or one .onnx file")
      ->required();
  app->add_option("--placement", args->options.placement,
                  "Tier of each part in order: M, E, C, ME, EC, MC, MEC")
      ->required();
  app->add_option("--testbed", args->testbed,
                  "Testbed state file written by `edgetier testbed up`");
  app->add_option("--tier", args->tiers,
                  "Tier endpoint NAME=ADDR or NAME=CONTROL,LISTEN, repeatable, in chain order");
  app->add_option("--link", args->links,
                  "User-space emulation of a tier's outgoing link FROM=RATE_MBIT:DELAY_MS");
  app->add_option("--model", args->options.model_name, "Model name (default: the variant's name)");
  app->add_option("--version", args->options.model_version, "Model version");
  app->add_option("--label", args->options.label, "Label shown by health, e.g. the strategy");
  app->add_option("--preprocess", args->preprocess,
                  "Preprocessing keys of the first part (inline JSON or a .json file) over "
                  "manifest.json's recipe, else over the model's sidecar and input-size default");
  app->add_option("--deadline-ms", args->options.forward_deadline_ms,
                  "Deadline of each forwarded call")
      ->capture_default_str();
  app->add_flag("--send-bytes", args->options.send_bytes,
                "Send the part files' bytes instead of their paths");
  app->add_flag("--json", args->json, "Print JSON");
  add_client_security_flags(app, &args->security);
  return [args]() {
    auto endpoints =
        testbed::resolve_endpoints(args->testbed, args->tiers, args->links, args->security);
    if (!endpoints.ok()) return report_error(endpoints.status());
    auto parts = tier::read_variant_dir(args->variant);
    if (!parts.ok()) return report_error(parts.status());
    if (!args->preprocess.empty()) {
      // The flag's keys over what the variant records (resolved when it was built).
      auto keys = preprocess_overrides(args->preprocess);
      if (!keys.ok()) return report_error(keys.status());
      nlohmann::json merged = parts->preprocess ? preprocess_to_json(*parts->preprocess)
                                                : nlohmann::json::object();
      merged.update(*keys);
      auto spec = preprocess_from_json(merged);
      if (!spec.ok()) return report_error(spec.status().with_context("--preprocess"));
      parts->preprocess = *spec;
    }
    auto result = tier::deploy_variant(*endpoints, *parts, args->options);
    if (!result.ok()) return report_error(result.status());
    if (args->json) {
      print_json(tier::deploy_result_to_json(*result));
      return 0;
    }
    std::printf("deployed '%s' as %s; send requests to %s\n", result->model_name.c_str(),
                result->placement.c_str(), result->entry_address.c_str());
    std::printf("  %-8s %-8s %-5s %10s %10s  %s\n", "tier", "role", "part", "load ms", "warm ms",
                "next hop");
    for (const auto& d : result->tiers) {
      std::printf("  %-8s %-8s %-5s %10.1f %10.1f  %s\n", d.tier.c_str(), d.role.c_str(),
                  d.part_index < 0 ? "-" : std::to_string(d.part_index).c_str(), d.load_ms,
                  d.warmup_ms, d.next_hop.empty() ? "-" : d.next_hop.c_str());
    }
    return 0;
  };
}

}  // namespace edgetier::cli
