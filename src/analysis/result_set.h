/// The in-memory results model every analysis reads: latency samples per strategy, accuracy rows.
#pragma once

#include <compare>
#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "store/records.h"

namespace edgetier {

// StrategyKey and AccuracyRow are the store's records (store/records.h): the analysis reads
// them as the store hands them back.

/// Every successful request of one strategy, in request order.
struct StrategySamples {
  StrategyKey key;
  std::vector<int64_t> latency_ns;
  /// Optional per-request breakdown components (e.g. "compute", "network", "serialize"), each
  /// with one value per request that reported it.
  std::map<std::string, std::vector<int64_t>> breakdown_ns;
  /// Requests that did not complete (timeouts, OOM kills): recorded, never silently dropped.
  int64_t failed_requests = 0;
  /// Optional per-request byte counts (e.g. "mobile_edge_bytes_up"), one value per request that
  /// reported it.
  std::map<std::string, std::vector<int64_t>> bytes;
  /// Dynamic early exit: requests that reached a confidence check, and those it stopped early.
  int64_t exit_decisions = 0;
  int64_t exits_taken = 0;
  /// When the successful requests were on the wire: the first send to the last reply (ns since
  /// the strategy's first measured request), for throughput; unset when the source has no send
  /// times (CSV samples).
  std::optional<std::pair<int64_t, int64_t>> sent_window_ns;
  /// Why its measurement stopped (the store's strategies.stop_reason: precision, max_requests,
  /// max_seconds, fixed); "" when the source does not say (CSV samples, older stores).
  std::string stop_reason;
};

/// A strategy of a run without a complete measurement: infeasible (with the plan's reason),
/// failed, never measured, or stopped part way (an interrupted run). Strategies with some
/// samples also appear among the measured ones.
struct MissingStrategy {
  StrategyKey key;
  std::string status;  // the store's status: infeasible, pending, running, failed or done
  std::string reason;  // why infeasible or failed
  int64_t requests_stored = 0;
  std::optional<int64_t> requests_planned;  // per strategy, when the run's spec is readable

  /// "infeasible", "failed", "not measured" or "incomplete".
  std::string kind() const;
  /// One phrase: "infeasible: <reason>", "incomplete: 4 of 10 requests stored (running)".
  std::string describe() const;
};

/// The scenario name given to samples whose source has no scenario column (the study's data).
inline constexpr std::string_view kDefaultScenario = "default";

/// Samples and accuracy of a campaign (or of third-party data). Filled row by row by the CSV
/// loaders below or by a results-database reader; strategies keep first-seen order.
class ResultSet {
 public:
  /// Appends one request's latency, creating the strategy on first use.
  void add_latency(const StrategyKey& key, int64_t latency_ns);
  /// Appends one request with its breakdown components (name -> ns).
  void add_request(const StrategyKey& key, int64_t latency_ns,
                   const std::map<std::string, int64_t>& breakdown_ns);
  /// Same, with per-request byte counts (name -> bytes).
  void add_request(const StrategyKey& key, int64_t latency_ns,
                   const std::map<std::string, int64_t>& breakdown_ns,
                   const std::map<std::string, int64_t>& bytes);
  /// Records why the measurement of `key` stopped (StrategySamples::stop_reason).
  void set_stop_reason(const StrategyKey& key, const std::string& reason);
  /// Counts requests of `key` that failed.
  void add_failures(const StrategyKey& key, int64_t count);
  /// Dynamic early exit decisions of successful requests: `taken` answered at the early head.
  void add_exit_decisions(const StrategyKey& key, int64_t decided, int64_t taken);
  /// Widens the strategy's send window to cover a request sent at `sent_ns` and answered at
  /// `end_ns`.
  void add_sent_window(const StrategyKey& key, int64_t sent_ns, int64_t end_ns);
  /// Records a strategy that was planned but not (completely) measured.
  void add_missing(MissingStrategy missing);
  /// Adds an accuracy figure; a second, different value for the same model/ops/metric is an error.
  Status add_accuracy(const AccuracyRow& row);

  const std::vector<StrategySamples>& strategies() const { return strategies_; }
  const std::vector<AccuracyRow>& accuracy_rows() const { return accuracy_; }
  const std::vector<MissingStrategy>& missing() const { return missing_; }
  const StrategySamples* find(const StrategyKey& key) const;
  bool empty() const { return strategies_.empty(); }
  size_t total_samples() const;

  /// Models in first-seen order (from samples, then accuracy rows, then missing strategies).
  std::vector<std::string> models() const;
  /// Scenarios of `model` in first-seen order: measured ones, then those with only missing
  /// strategies.
  std::vector<std::string> scenarios(const std::string& model) const;
  /// The accuracy of `ops` for `model`; a partitioned chain without its own row inherits the
  /// accuracy of the chain without partitioning (P -> I, QP -> Q, EEP -> EE, QEP -> QE).
  std::optional<double> accuracy(const std::string& model, const std::string& ops,
                                 const std::string& metric) const;
  /// The first labelled primary metric of metrics/metric.h's table the model has (top1, then
  /// miou), else the first metric seen; nullopt without rows.
  std::optional<std::string> primary_metric(const std::string& model) const;

  /// Where the data came from (file names), for reports.
  std::string source;
  /// Facts about the source every report should repeat (an interrupted run, skipped rows).
  std::vector<std::string> warnings;
  /// Q chains built with an accuracy budget: what the search kept in float (results databases).
  std::vector<QuantizeSearchRecord> quantize_searches;
  /// Where the run's wall time went (results databases whose run recorded it).
  std::optional<CampaignTiming> campaign;

 private:
  StrategySamples& slot(const StrategyKey& key);

  std::vector<StrategySamples> strategies_;
  std::map<StrategyKey, size_t> index_;
  std::vector<AccuracyRow> accuracy_;
  std::vector<MissingStrategy> missing_;
};

/// The placements edgetier knows, lowest tier first.
const std::vector<std::string>& known_placements();
/// Accepts M/E/C/ME/EC/MC/MEC or the study's Mobile, Edge, Cloud, Mobile-Edge, Edge-Cloud,
/// Mobile-Cloud (any case); the error names the nearest known name.
Result<std::string> normalize_placement(std::string_view name);
/// The chain a partitioned chain inherits its accuracy from ("QEP" -> "QE", "P" -> "I"), or ""
/// when `ops` is not partitioned.
std::string unpartitioned_ops(const std::string& ops);
/// Operator count of a chain, for "prefer the simpler strategy": I=0, Q=1, QE=2, QEP=3.
int ops_complexity(const std::string& ops);
/// Human name of a chain: "QE" -> "Quantized Early Exit".
std::string ops_display_name(const std::string& ops);

/// Reads latency samples as CSV with a header holding latency_s (or latency_ms, latency_ns),
/// placement, model, strategy and optionally scenario; other columns are ignored. Errors name
/// `source_name` and the line.
Status read_samples_csv(std::istream& in, std::string_view source_name, ResultSet* results);
/// Reads accuracy as CSV, either long (model,strategy,metric,value) or the study's wide layout
/// (Model,top5,top1,miou with names like "ResNet Quantize EarlyExit").
Status read_accuracy_csv(std::istream& in, std::string_view source_name, ResultSet* results);

/// File versions of the readers above.
Status load_samples_csv(const std::string& path, ResultSet* results);
Status load_accuracy_csv(const std::string& path, ResultSet* results);

}  // namespace edgetier
