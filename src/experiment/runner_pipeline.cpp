/// The runner's variants, accuracy and measurement in one pipeline: a background builder of
/// idle CPU priority builds the variants in the order the measurement needs them and then scores
/// their accuracy, while the measurement deploys each strategy as soon as its variant is there.
//
// Why idle priority: the tiers run in cgroups of their own and the device app in this process;
// a builder thread under SCHED_IDLE (and the ONNX Runtime threads it starts, which inherit the
// policy) runs only on CPU time nothing else wants, so the measured requests keep the CPU they
// had when nothing was built beside them. The caches and memory bandwidth are still shared:
// RunOptions::serial_builds builds and scores everything first for a measurement alone on the
// machine. While the measurement waits for a variant, nothing is measured and the builder runs
// at normal priority (WaitBoost).
#include <pthread.h>
#include <sched.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "core/log.h"
#include "experiment/runner_bed.h"
#include "experiment/runner_internal.h"

namespace edgetier::runner {
namespace {

void lower_this_thread_to_idle() {
  sched_param param{};
  param.sched_priority = 0;
  const int err = pthread_setschedparam(pthread_self(), SCHED_IDLE, &param);
  if (err != 0) {
    LOG_WARN << "background builds keep normal CPU priority (SCHED_IDLE: " << std::strerror(err)
             << "): they may slow the measured requests";
  }
}

std::set<pid_t> threads_of_this_process() {
  std::set<pid_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    const pid_t tid = static_cast<pid_t>(std::strtol(entry.path().filename().c_str(), nullptr, 10));
    if (tid > 0) out.insert(tid);
  }
  return out;
}

void set_policy(pid_t tid, int policy) {
  sched_param param{};
  (void)sched_setscheduler(tid, policy, &param);
}

/// Every thread of this process at idle priority (the builder and the ONNX Runtime threads it
/// started) back to normal; returns them.
std::set<pid_t> restore_normal_priority() {
  std::set<pid_t> raised;
  for (pid_t tid : threads_of_this_process()) {
    if (sched_getscheduler(tid) != SCHED_IDLE) continue;
    set_policy(tid, SCHED_OTHER);
    raised.insert(tid);
  }
  return raised;
}

/// While the measurement waits for a variant nothing is measured, so the builder gets normal
/// priority: on a machine busy with other work an idle-priority builder would hardly run. When
/// the wait ends, the raised threads and those started during the wait (only the builder ran)
/// go back to idle priority.
class WaitBoost {
 public:
  void operator()(bool waiting) {
    std::lock_guard<std::mutex> lock(mu_);
    if (waiting) {
      before_ = threads_of_this_process();
      raised_ = restore_normal_priority();
      return;
    }
    for (pid_t tid : threads_of_this_process()) {
      if (raised_.count(tid) || !before_.count(tid)) set_policy(tid, SCHED_IDLE);
    }
    raised_.clear();
  }

 private:
  std::mutex mu_;
  std::set<pid_t> before_, raised_;
};

}  // namespace

Status build_and_measure(RunContext* c) {
  // The testbed needs neither the data nor a variant: it comes up meanwhile (its processes
  // start, its links are probed, mostly waiting), instead of after them.
  std::optional<EarlyBed> early = start_first_testbed(c);
  {
    auto timed = c->clock->time("data");
    RETURN_IF_ERROR(prepare_data(c));
  }
  if (c->options.serial_builds) {
    {
      auto timed = c->clock->time("build");
      RETURN_IF_ERROR(build_variants_for_plan(c));
    }
    {
      auto timed = c->clock->time("accuracy");
      RETURN_IF_ERROR(evaluate_accuracy(c));
    }
    return measure_all(c, std::move(early));
  }
  std::atomic<bool> scoring{false};
  Status built;
  auto boost = std::make_shared<WaitBoost>();
  c->on_build_wait = [boost](bool waiting) { (*boost)(waiting); };
  std::thread builder([&] {
    lower_this_thread_to_idle();
    {
      auto timed = c->clock->time("build", /*overlapped=*/true);
      built = build_variants_for_plan(c);
    }
    if (!built.ok()) return;
    scoring = true;
    auto timed = c->clock->time("accuracy", /*overlapped=*/true);
    built = evaluate_accuracy(c);
  });
  Status measured = measure_all(c, std::move(early));
  // Measuring ended: what the builder has left is waited for (and is the campaign's time).
  if (!measured.ok()) c->stop_builds = true;
  c->on_build_wait = nullptr;
  (void)restore_normal_priority();
  {
    auto waited = c->clock->time(scoring ? "accuracy" : "build");
    builder.join();
  }
  if (!measured.ok()) return measured;
  return built;
}

}  // namespace edgetier::runner
