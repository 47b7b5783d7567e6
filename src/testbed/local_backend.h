/// What the namespace and loopback backends share: tiers are processes this machine starts
/// (launcher.h), recorded in the state file, probed by probe.h and removed by teardown.h. A
/// backend fills in the network: the records' addresses and what is created before the tiers.
#pragma once

#include <string>
#include <vector>

#include "testbed/backend.h"

namespace edgetier::testbed {

class LocalBackend : public TestbedBackend {
 public:
  Result<UpResult> up(const TestbedConfig& config, const UpOptions& options) override;
  Result<TestbedState> check(const std::string& state_dir) override;
  Result<std::vector<LinkProbe>> probe(const std::string& state_dir,
                                       const ProbeOptions& options) override;
  Result<TeardownReport> down(const std::string& state_dir, const std::string& run_id) override;
  /// reshape_network, then the links probed again and the state written.
  Result<UpResult> reshape(const std::string& state_dir, const std::vector<LinkSpec>& links,
                           const ProbeOptions& options) override;

 protected:
  /// Gives state->links the settings of `links` on the running network and records them;
  /// UNIMPLEMENTED (the default) when this backend cannot.
  virtual Status reshape_network(const std::vector<LinkSpec>& links, TestbedState* state) const;
  /// Refuses before anything is touched (e.g. namespaces without root).
  virtual Status check_preconditions() const { return ok_status(); }
  /// Fills in the planned records' network fields (namespaces, link addresses, devices,
  /// shaping) before anything exists, so the state file names everything `down` must find.
  virtual void plan_network(TestbedState* state) const = 0;
  /// Creates what the tiers need before they start and sets every tier's `listen` and every
  /// link's `delay_emulation`; writes the state after each step.
  virtual Status create_network(const TestbedConfig& config, const UpOptions& options,
                                TestbedState* state) const = 0;
};

/// CANCELLED ("testbed up interrupted while <step>...") once options.is_cancelled says so.
Status check_cancel(const UpOptions& options, const char* step);
/// "512 MiB", or "unlimited" for <= 0.
std::string describe_memory(int64_t bytes);

}  // namespace edgetier::testbed
