/// Shared state of the runner's stages (runner.cpp, runner_variants.cpp, runner_measure.cpp).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "experiment/campaign_clock.h"
#include "experiment/datasets.h"
#include "experiment/plan.h"
#include "experiment/runner.h"
#include "store/store.h"

namespace edgetier::runner {

/// One built variant, shared by every strategy with its variant_key().
struct BuiltVariant {
  std::string model;
  std::string ops;
  std::string dir;
  std::string hash;   // source + options hash from the manifest
  std::string error;  // non-empty: building failed (its strategies are marked failed)
  /// Q built with an accuracy budget: the quantize step's options (BuiltVariantInfo).
  nlohmann::json quantize_search;
};

/// Requests done out of the total with an ETA; one updating line on a terminal, log lines
/// otherwise.
class Progress {
 public:
  Progress(bool tty, int64_t total) : tty_(tty), total_(total) {}
  void start_strategy(const std::string& scenario, const std::string& strategy);
  void add(int64_t n = 1);
  /// Planned requests that will not be sent (a strategy stopped early, failed or infeasible):
  /// done for the ETA, left out of the final count.
  void skip(int64_t n);
  void note(const std::string& line);  // a permanent line (clears the bar first)
  void finish();

 private:
  void draw_locked(bool force);
  bool tty_;
  int64_t total_;
  int64_t done_ = 0;
  int64_t measured_ = 0;  // requests sent by this process (the ETA's rate)
  int64_t skipped_ = 0;
  std::string scenario_, strategy_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
  std::mutex mu_;
};

struct RunContext {
  const PreparedExperiment* e = nullptr;
  RunOptions options;
  ResultStore* store = nullptr;
  int64_t run_id = 0;
  std::vector<int64_t> strategy_ids;    // parallel to plan.strategies
  std::map<std::string, Dataset> data;  // model -> evaluation data (synth generated)
  std::map<std::string, Dataset> calibration;
  /// model -> what quantize.max_accuracy_loss's search scores on (set only with a budget, by
  /// build_variants_for_plan).
  std::map<std::string, Dataset> search;
  /// variant_key -> variant, filled by build_variants_for_plan (perhaps on the background
  /// builder while measuring, runner_pipeline.cpp): read it through variant() while it builds.
  std::map<std::string, BuiltVariant> variants;
  std::mutex variants_mu;
  std::condition_variable variants_cv;
  bool builds_done = false;  // the builder ended (every variant in, or it stopped)
  Status builds_status;      // why it stopped early
  /// Asks the background builder to stop (the measurement ended early or failed).
  std::atomic<bool> stop_builds{false};
  /// Called with true when the measurement starts waiting for a variant and with false when
  /// it goes on (the builder's priority is raised meanwhile); unset: nothing to do.
  std::function<void(bool waiting)> on_build_wait;
  std::string state_dir;
  /// Set: the tiers' folder of optimized graphs (local testbeds, on this machine's CPU); the
  /// builder fills it with each variant's parts as they are built, so that a strategy's first
  /// deploy skips graph optimization on its tiers.
  std::string tier_session_cache_dir;
  CampaignClock* clock = nullptr;  // where the campaign's time goes (runner.cpp owns it)

  bool cancelled() const { return options.is_cancelled && options.is_cancelled(); }
  bool builds_cancelled() const { return cancelled() || stop_builds; }
  /// The variant of `key` once built; waits for the builder (counted as "build"). An error when
  /// the builder stopped before building it.
  Result<const BuiltVariant*> variant(const std::string& key);
  /// variant() would answer without waiting (built, failed, or the builder ended).
  bool variant_ready(const std::string& key);
  /// Waits (counted as "build") until one of `keys` is ready; false when stopped first.
  bool wait_for_any(const std::vector<std::string>& keys);
  const ModelFacts& facts(const std::string& model) const;
};

/// Generates synth data once (cached under <out>/data) and loads every model's datasets
/// (runner_data.cpp).
Status prepare_data(RunContext* ctx);
/// The data quantize.max_accuracy_loss's search scores `model` on, in ctx->search: made when
/// the model's first Q variant is built, not before the first variant (generating a held-out
/// synth set takes a second the measurement would wait for). Builder thread only.
Status prepare_search_data(RunContext* ctx, const std::string& model);
/// The folder of images the calibrator reads (masks and label files left out).
std::string calibration_dir(const Dataset& d, const DataSpec& spec);
/// Builds every variant the plan needs (cached by content hash under <out>/variants), in the
/// order the measurement needs them, publishing each in ctx->variants as it is done; marks the
/// builds done (with the status) when it returns.
Status build_variants_for_plan(RunContext* ctx);
/// Top-1/top-5, mIoU/pixel accuracy or agreement with Identity, once per variant.
Status evaluate_accuracy(RunContext* ctx);
/// Data, variants, accuracy and measurement (runner_pipeline.cpp): the first testbed comes up
/// beside the data, the builds and the accuracy run beside the measurement unless
/// RunOptions::serial_builds.
Status build_and_measure(RunContext* ctx);

}  // namespace edgetier::runner
