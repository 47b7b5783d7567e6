/// TestbedSession: the runner's RAII wrapper over a testbed backend's up / check / down.
#include "experiment/testbed_session.h"

#include "core/log.h"
#include "testbed/testbed.h"

namespace edgetier {

Result<std::unique_ptr<TestbedSession>> TestbedSession::up(const SessionConfig& config) {
  ASSIGN_OR_RETURN(auto backend, testbed::make_backend(config.network));
  testbed::TestbedConfig tb;
  tb.source = "experiment testbed (preset " + config.preset + ")";
  tb.server_command = testbed::default_server_command();
  tb.tiers = config.tiers;
  tb.links = config.links;
  testbed::UpOptions options;
  options.state_dir = config.state_dir;
  options.mode = backend->mode();
  // The achieved rates are recorded with every run; a link a little off its target is a fact
  // to report, not a reason to measure nothing.
  options.allow_link_mismatch = true;
  options.exe = config.exe;
  options.model_root = config.model_root;
  options.is_cancelled = config.is_cancelled;
  ASSIGN_OR_RETURN(testbed::UpResult up, backend->up(tb, options));

  std::unique_ptr<TestbedSession> s(new TestbedSession());
  s->backend_ = std::move(backend);
  s->state_dir_ = config.state_dir;
  s->state_ = std::move(up.state);
  s->endpoints_ = std::move(up.endpoints);
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
  auto state = backend_->check(state_dir_);
  if (!state.ok()) return std::nullopt;
  for (const auto& t : state->tiers) {
    if (t.state == testbed::TierStatus::kOom || t.state == testbed::TierStatus::kDead) {
      return TierFailure{t.name, t.state == testbed::TierStatus::kOom, t.memory_bytes, t.detail};
    }
  }
  return std::nullopt;
}

Status TestbedSession::reshape(const std::vector<testbed::LinkSpec>& links) {
  if (down_) return failed_precondition("the testbed is down");
  ASSIGN_OR_RETURN(testbed::UpResult up, backend_->reshape(state_dir_, links, {}));
  state_ = std::move(up.state);
  endpoints_ = std::move(up.endpoints);
  return Status();
}

Status TestbedSession::down() {
  if (down_) return Status();
  down_ = true;
  auto report = backend_->down(state_dir_, state_.run_id);
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
