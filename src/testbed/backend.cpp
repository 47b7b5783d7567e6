/// The backend factory: keyword <-> mode table and an explicit switch over the backends.
#include "testbed/backend.h"

#include <unistd.h>

#include "core/strings.h"

namespace edgetier::testbed {
namespace {

struct ModeKeyword {
  TestbedMode mode;
  const char* keyword;
};
// One row per keyword experiment.yaml's `network` accepts (the order of its error messages).
constexpr ModeKeyword kModes[] = {{TestbedMode::kAuto, "auto"},
                                  {TestbedMode::kNamespaces, "namespaces"},
                                  {TestbedMode::kLoopback, "loopback"},
                                  {TestbedMode::kRemote, "remote"}};

}  // namespace

std::string_view testbed_mode_keyword(TestbedMode mode) {
  for (const auto& m : kModes) {
    if (m.mode == mode) return m.keyword;
  }
  return "auto";
}

std::vector<std::string> network_keywords() {
  std::vector<std::string> out;
  for (const auto& m : kModes) out.emplace_back(m.keyword);
  return out;
}

Result<TestbedMode> parse_testbed_mode(std::string_view keyword) {
  for (const auto& m : kModes) {
    if (keyword == m.keyword) return m.mode;
  }
  const std::string text(keyword);
  return invalid_argument("unknown testbed network '" + text + "'; did you mean '" +
                          nearest_name(text, network_keywords()) +
                          "'? (networks: " + join(network_keywords()) + ")");
}

Result<std::unique_ptr<TestbedBackend>> make_backend(TestbedMode mode, bool root) {
  switch (mode) {
    case TestbedMode::kAuto:
      return make_backend(root ? TestbedMode::kNamespaces : TestbedMode::kLoopback, root);
    case TestbedMode::kNamespaces: return make_namespace_backend();
    case TestbedMode::kLoopback: return make_loopback_backend();
    case TestbedMode::kRemote: return make_remote_backend();
  }
  return invalid_argument("unknown testbed mode " + std::to_string(static_cast<int>(mode)));
}

Result<std::unique_ptr<TestbedBackend>> make_backend(TestbedMode mode) {
  return make_backend(mode, ::geteuid() == 0);
}

Result<std::unique_ptr<TestbedBackend>> make_backend(std::string_view keyword) {
  ASSIGN_OR_RETURN(TestbedMode mode, parse_testbed_mode(keyword));
  return make_backend(mode);
}

Result<std::unique_ptr<TestbedBackend>> backend_for_state(const TestbedState& state) {
  auto mode = parse_testbed_mode(state.network);
  if (!mode.ok() || *mode == TestbedMode::kAuto) {
    return data_loss("testbed state of run " + state.run_id + ": unknown network '" +
                     state.network + "'");
  }
  return make_backend(*mode);
}

Result<UpResult> TestbedBackend::reshape(const std::string&, const std::vector<LinkSpec>&,
                                         const ProbeOptions&) {
  return unimplemented("the " + std::string(keyword()) +
                       " testbed cannot re-shape its links in place");
}

std::string reshape_refusal(const std::vector<LinkRecord>& running,
                            const std::vector<LinkSpec>& wanted, bool netem) {
  if (running.size() != wanted.size())
    return std::to_string(wanted.size()) + " links wanted, " + std::to_string(running.size()) +
           " running";
  for (size_t i = 0; i < running.size(); ++i) {
    const LinkRecord& now = running[i];
    const LinkSpec& next = wanted[i];
    if (now.name() != next.name())
      return "link " + std::to_string(i) + " is " + now.name() + ", wanted " + next.name();
    if (now.shaping != "tc") return "link " + now.name() + " is not shaped by tc";
    if (next.rate_mbit <= 0) return "link " + next.name() + " would be unshaped";
    if (now.delay_emulation == "userspace")
      return "link " + now.name() + "'s delay is emulated by the tiers' forwarders";
    if (next.emulates_delay_or_loss() && !netem)
      return "link " + next.name() + " needs netem for its delay/jitter/loss";
  }
  return "";
}

}  // namespace edgetier::testbed
