/// TestbedSession: the runner's RAII wrapper over testbed_up / testbed_down.
#include "experiment/testbed_session.h"

#include "core/log.h"
#include "testbed/testbed.h"

namespace edgetier {

Result<std::unique_ptr<TestbedSession>> TestbedSession::up(const SessionConfig& config) {
  const std::string preset = config.preset == "study" ? "study" : "default";
  ASSIGN_OR_RETURN(testbed::TestbedConfig tb,
                   testbed::preset_config(preset, testbed::detect_host_resources()));
  tb.source = "experiment testbed (preset " + config.preset + ")";
  tb.tiers.clear();
  for (const auto& t : config.tiers) {
    testbed::TierSpec spec;
    spec.name = t.name;
    spec.cpus = t.cpus;
    spec.memory_bytes = t.memory_bytes;
    tb.tiers.push_back(spec);
  }
  tb.links.clear();
  for (const auto& l : config.links) {
    testbed::LinkSpec spec;
    spec.from = l.from;
    spec.to = l.to;
    spec.rate_mbit = l.rate_mbit;
    spec.delay_ms = l.delay_ms;
    spec.jitter_ms = l.jitter_ms;
    spec.loss_pct = l.loss_pct;
    tb.links.push_back(spec);
  }
  testbed::UpOptions options;
  options.state_dir = config.state_dir;
  options.mode = config.network == "namespaces" ? testbed::TestbedMode::kKernel
                 : config.network == "loopback" ? testbed::TestbedMode::kUserspace
                                                : testbed::TestbedMode::kAuto;
  // The achieved rates are recorded with every run; a link a little off its target is a fact
  // to report, not a reason to measure nothing.
  options.allow_link_mismatch = true;
  options.exe = config.exe;
  options.is_cancelled = config.is_cancelled;
  ASSIGN_OR_RETURN(testbed::TestbedState state, testbed::testbed_up(tb, options));

  std::unique_ptr<TestbedSession> s(new TestbedSession());
  s->state_dir_ = config.state_dir;
  s->run_id_ = state.run_id;
  s->kernel_ = state.root;
  s->warnings_ = state.warnings;
  for (const auto& t : state.tiers) {
    SessionTier st;
    st.name = t.name;
    st.cpus = t.cpus;
    st.memory_bytes = t.memory_bytes;
    st.threads = t.threads;
    s->tiers_.push_back(st);
  }
  for (const auto& l : state.links) {
    SessionLink sl;
    sl.from = l.from;
    sl.to = l.to;
    sl.rate_mbit = l.rate_mbit;
    sl.delay_ms = l.delay_ms;
    sl.jitter_ms = l.jitter_ms;
    sl.loss_pct = l.loss_pct;
    if (l.probe) {
      sl.achieved_rate_mbit = l.probe->achieved_rate_mbit;
      sl.rtt_ms = l.probe->rtt_ms;
    }
    s->links_.push_back(sl);
  }
  return s;
}

TestbedSession::~TestbedSession() {
  Status st = down();
  if (!st.ok()) {
    LOG_WARN << "testbed teardown: " << st.message();
  }
}

std::string TestbedSession::state_file() const { return testbed::state_file_path(state_dir_); }

std::optional<TierFailure> TestbedSession::check_tiers() {
  if (down_) return std::nullopt;
  auto state = testbed::read_state(state_dir_);
  if (!state.ok()) return std::nullopt;
  bool changed = false;
  std::optional<TierFailure> failure;
  for (auto& t : state->tiers) {
    changed |= testbed::refresh_tier_state(&t);
    if (!failure &&
        (t.state == testbed::TierStatus::kOom || t.state == testbed::TierStatus::kDead)) {
      failure = TierFailure{t.name, t.state == testbed::TierStatus::kOom, t.memory_bytes, t.detail};
    }
  }
  if (changed) (void)testbed::write_state(state_dir_, *state);
  return failure;
}

Status TestbedSession::down() {
  if (down_) return Status();
  down_ = true;
  auto report = testbed::testbed_down(state_dir_, run_id_);
  if (!report.ok()) return report.status();
  return Status();
}

Status teardown_previous_testbed(const std::string& state_dir) {
  auto state = testbed::read_state(state_dir);
  if (!state.ok()) return Status();
  LOG_INFO << "removing testbed run " << state->run_id << " left in " << state_dir;
  auto report = testbed::testbed_down(state_dir, state->run_id);
  return report.ok() ? Status() : report.status();
}

std::string testbed_leftovers(const std::string& run_id) {
  testbed::Leftovers left = testbed::find_leftovers(run_id);
  return left.empty() ? std::string() : left.to_text();
}

}  // namespace edgetier
