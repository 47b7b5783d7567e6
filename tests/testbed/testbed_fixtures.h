/// Shared helpers for the testbed tests: the root requirement, temp dirs, the tier command.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "testbed/netns.h"
#include "testbed/presets.h"

namespace edgetier::testbed::testing {

/// Tests that create namespaces, links or cgroups need root. CI runs as root, so without root
/// they fail loudly; EDGETIER_ALLOW_NONROOT_SKIP=1 turns that into a skip on developer machines.
#define EDGETIER_REQUIRE_ROOT()                                                                  \
  do {                                                                                           \
    if (::geteuid() != 0) {                                                                      \
      const char* allow = std::getenv("EDGETIER_ALLOW_NONROOT_SKIP");                            \
      if (allow != nullptr && std::string(allow) == "1") {                                       \
        GTEST_SKIP() << "needs root (namespaces, tc, cgroups); skipped by "                      \
                        "EDGETIER_ALLOW_NONROOT_SKIP=1";                                         \
      }                                                                                          \
      FAIL() << "this test needs root (namespaces, tc, cgroups) and CI runs as root; run it as " \
                "root, or set EDGETIER_ALLOW_NONROOT_SKIP=1 to skip it on a developer machine";  \
    }                                                                                            \
  } while (0)

/// Deletes the named namespaces at the end of a test whatever happens.
struct NetnsGuard {
  std::vector<std::string> names;
  ~NetnsGuard() {
    for (const auto& name : names) (void)delete_netns(name);
  }
};

/// The edgetier binary built next to the tests; its `serve` subcommand is the tier server.
inline std::string edgetier_binary() { return EDGETIER_BINARY; }

/// Three small tiers in chain order with the default (real `edgetier serve`) command.
inline TestbedConfig small_chain_config(double mobile_edge_mbit = 200.0,
                                        double edge_cloud_mbit = 10.0) {
  TestbedConfig config;
  config.source = "test";
  config.server_command = default_server_command();
  config.tiers = {
      {"mobile", 0.5, 256LL << 20}, {"edge", 1.0, 512LL << 20}, {"cloud", 1.0, 512LL << 20}};
  config.links = {{"mobile", "edge", mobile_edge_mbit, 0, 0, 0},
                  {"edge", "cloud", edge_cloud_mbit, 0, 0, 0}};
  config.ready_timeout_ms = 30000;
  return config;
}

}  // namespace edgetier::testbed::testing
