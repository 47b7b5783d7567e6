/// The runner's variants, accuracy and measurement in one pipeline: a background builder of
/// idle CPU priority builds the variants in the order the measurement needs them and then scores
/// their accuracy, while the measurement deploys each strategy as soon as its variant is there.
//
// Why idle priority: the tiers run in cgroups of their own and the device app in this process;
// a builder thread under SCHED_IDLE (and the ONNX Runtime threads it starts, which inherit the
// policy) runs only on CPU time nothing else wants, so the measured requests keep the CPU they
// had when nothing was built beside them. The caches and memory bandwidth are still shared:
// RunOptions::serial_builds builds and scores everything first for a measurement alone on the
// machine.
#include <pthread.h>
#include <sched.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "core/log.h"
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

/// Every thread of this process back to normal priority (the builder and the ONNX Runtime
/// threads it started): once nothing is measured, the builds left should have the machine.
void restore_normal_priority() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    const pid_t tid = static_cast<pid_t>(std::strtol(entry.path().filename().c_str(), nullptr, 10));
    if (tid <= 0 || sched_getscheduler(tid) != SCHED_IDLE) continue;
    sched_param param{};
    (void)sched_setscheduler(tid, SCHED_OTHER, &param);
  }
}

}  // namespace

Status build_and_measure(RunContext* c) {
  if (c->options.serial_builds) {
    {
      auto timed = c->clock->time("build");
      RETURN_IF_ERROR(build_variants_for_plan(c));
    }
    {
      auto timed = c->clock->time("accuracy");
      RETURN_IF_ERROR(evaluate_accuracy(c));
    }
    return measure_all(c);
  }
  std::atomic<bool> scoring{false};
  Status built;
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
  Status measured = measure_all(c);
  // Measuring ended: what the builder has left is waited for (and is the campaign's time).
  if (!measured.ok()) c->stop_builds = true;
  restore_normal_priority();
  {
    auto waited = c->clock->time(scoring ? "accuracy" : "build");
    builder.join();
  }
  if (!measured.ok()) return measured;
  return built;
}

}  // namespace edgetier::runner
