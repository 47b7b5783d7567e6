/// The plain records of the results store: what one run, strategy, request, link and accuracy
/// row holds. Writers fill them, readers (the analysis) get them back; no database in here.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "strategy/strategy.h"

namespace edgetier {

/// Identifies one measured strategy: a model variant (operator chain) on a placement under a
/// network scenario. `ops` is I, Q, EE, QE, P, QP, EEP, QEP (or a longer chain such as DEE@0.8);
/// `placement` is M, E, C, ME, EC, MC or MEC. The store's strategies rows are unique by it.
struct StrategyKey {
  std::string model;
  std::string ops;
  std::string placement;
  std::string scenario;

  /// "QE@E".
  std::string label() const { return strategy_label(ops, placement); }
  auto operator<=>(const StrategyKey&) const = default;
};

/// One accuracy figure of a model variant; accuracy does not depend on placement or scenario.
struct AccuracyRow {
  std::string model;
  std::string ops;
  std::string metric;  // a metrics/metric.h id ("top1", "top5", "miou", ...)
  double value = 0;    // points (0-100)
};

/// Per-tier timings of one request; unset = the tier took no part.
struct TierTiming {
  std::optional<int64_t> queue_ns;       // waiting for a free session
  std::optional<int64_t> preprocess_ns;  // decode + preprocess (first tier) or tensor parsing
  std::optional<int64_t> compute_ns;     // ONNX Runtime Run()
  std::optional<int64_t> serialize_ns;   // packing outputs for the next hop or the reply
  std::optional<int64_t> forward_ns;     // waiting on the next tier (covers the upper link)
  /// A detector's outputs decoded into boxes, NMS included, on the tier that answered (schema
  /// v4; not part of serialize_ns). 0: this tier decoded nothing (a classifier, a tier below the
  /// answering one, `response: raw`) or the request was stored before schema 4.
  int64_t postprocess_ns = 0;
};

/// One link's share of a request; unset = not crossed.
struct LinkTraffic {
  std::optional<int64_t> transfer_ns;  // time on the wire, both directions
  std::optional<int64_t> bytes_up;     // request payload towards the cloud
  std::optional<int64_t> bytes_down;   // reply payload back towards the client
};

/// The links in request order: client (app on the device) -> mobile -> edge -> cloud.
enum class LinkId { kClientMobile = 0, kMobileEdge = 1, kEdgeCloud = 2 };
inline constexpr int kNumLinks = 3;
std::string_view link_column_prefix(LinkId link);  // "client_mobile", "mobile_edge", "edge_cloud"

struct RequestRecord {
  int64_t strategy_id = 0;
  int pass = 0;
  int request_index = 0;
  std::string input_file;
  int64_t sent_ns = 0;        // when it was sent, since the strategy's first measured request
  int64_t end_to_end_ns = 0;  // client wall clock: send to reply
  std::optional<int64_t> client_ns;          // client-side encode/decode
  std::array<TierTiming, 3> tiers;           // indexed by TierRole (mobile, edge, cloud)
  std::array<LinkTraffic, kNumLinks> links;  // indexed by LinkId
  std::optional<int64_t> exit_taken;         // dynamic exit: 1 if the request left at the exit
  std::string outcome = "ok";                // "ok" or "error:<message>"
};

/// Every per-request column after the key, in table order (the export's requests.csv header):
/// the version-1 columns, then the ones later schemas added (`<tier>_postprocess_ns`, v4).
const std::vector<std::string>& request_breakdown_columns();
/// The schema version that added a column of request_breakdown_columns() (1 or 4): a store of an
/// older version has no such column.
int request_column_schema(std::string_view column);

enum class StrategyStatus { kPending, kRunning, kDone, kInfeasible, kFailed };
std::string_view strategy_status_name(StrategyStatus status);
Result<StrategyStatus> parse_strategy_status(std::string_view name);

struct StrategyRow {
  int64_t strategy_id = 0;
  int64_t run_id = 0;
  std::string model, ops, placement, scenario;
  std::string name;  // OPS@PLACEMENT
  std::string variant_hash;
  StrategyStatus status = StrategyStatus::kPending;
  std::string reason;            // why infeasible or failed
  std::string plan_json = "{}";  // cuts, exit: what the plan chose
  /// The variant's operators in the order they were applied ("quantize", "early_exit",
  /// "partition"); empty for rows that name none (infeasible ones). Schema v2 column steps_json;
  /// rows of a v1 store read it from plan_json's "steps".
  std::vector<std::string> steps;
  /// Why its measurement stopped: "precision" (the median's CI reached measurement.precision),
  /// "max_requests", "max_seconds" or "fixed" (a fixed count); "" while measuring and for rows
  /// stored before schema v3.
  std::string stop_reason;
  /// The 95% bootstrap CI half-width of the median latency as % of the median when it stopped
  /// (unset before schema v3, or without two answered requests).
  std::optional<double> precision_pct;
};

/// What an accuracy-budgeted quantization (spec quantize.max_accuracy_loss) kept in float: one
/// per model and Q chain, stored in strategies.plan_json as "quantize" once the variant is built.
struct QuantizeSearchRecord {
  std::string model, ops;
  double max_accuracy_loss = 0;          // the budget, points
  std::vector<std::string> float_nodes;  // kept in float by the search, most sensitive first
  std::string metric;                    // the task's primary metric id: top1 | miou
  bool labelled = false;                 // against labels (else agreement with the float model)
  int64_t samples = 0;                   // images the search scored on
  double initial_loss_points = 0;        // every quantizable node in int8
  double loss_points = 0;                // with float_nodes in float
};

/// The automatic cut's FLOPs window of one model (the spec's cut.min_flops_share and
/// cut.max_flops_share): the share of FLOPs a part below a cut may carry.
struct CutWindow {
  double min_flops_share = 0;
  double max_flops_share = 1;
  bool operator==(const CutWindow&) const = default;
};

/// What the plan fixed when a run started, written with the run (schema v2) so readers never
/// re-parse the stored spec. A run stored by schema v1 has none of them: `recorded` is false,
/// planned_requests unset, discard_passes 0 and no cut windows.
struct RunFacts {
  bool recorded = false;
  /// Requests each strategy should have (measurement.requests x passes); unset when measured
  /// until stable (the stopping rule decides the count).
  std::optional<int64_t> planned_requests;
  /// Leading passes left out of the statistics (measurement.discard_passes).
  int discard_passes = 0;
  std::map<std::string, CutWindow> cut_windows;  // by model name
};

/// The phases of CampaignTiming::phases_ns in the order reports list them: the plan (spec,
/// models, cuts), data, variant builds, accuracy, testbed bring-up and tear-down, deploys
/// (sessions loaded), warm-up requests, undeploys, the request loops and store commits.
/// "link_reshape" is a testbed kept from the scenario before with its links re-shaped.
inline constexpr const char* kCampaignPhases[] = {
    "plan",   "data",   "build",    "accuracy", "testbed_up", "testbed_down", "link_reshape",
    "deploy", "warmup", "undeploy", "requests", "store"};

/// Where a run's wall time went (runs.timing_json, schema v3), on the monotonic clock
/// (core/clock.h) of the process that ran it; a resumed run adds each invocation's figures.
/// `phases_ns` is time the campaign spent on something other than sending measured requests
/// ("requests" is the time spent in the sending loops themselves), `overlapped_ns` work done by
/// the background builder while requests were measured (not part of the wall time it ran
/// beside). Phase names: kCampaignPhases.
struct CampaignTiming {
  bool recorded = false;  // false: a run stored before schema 3, or one that never ended
  int64_t wall_ns = 0;    // from the command's start to the run's results stored
  std::map<std::string, int64_t> phases_ns;
  std::map<std::string, int64_t> overlapped_ns;
  /// Sum of the stored requests' end-to-end times (every outcome), read from the requests.
  int64_t request_sum_ns = 0;
  /// wall_ns / request_sum_ns; 0 without requests.
  double overhead_ratio() const {
    return request_sum_ns > 0 ? static_cast<double>(wall_ns) / request_sum_ns : 0.0;
  }
};

struct RunInfo {
  int64_t run_id = 0;
  std::string name;
  std::string spec_hash;
  std::string spec_yaml;
  std::string started_at;   // ISO 8601 UTC
  std::string finished_at;  // empty while running
  std::string status;       // running | done | failed | interrupted
  nlohmann::json env = nlohmann::json::object();
  RunFacts facts;
  CampaignTiming timing;
};

struct TierRecord {
  std::string name;
  double cpus = 0;
  int64_t memory_bytes = 0;
  int threads = 0;
  /// The host the tier ran on, from its Health (tier/client.h host_facts_json): CPU model and
  /// count, memory, cgroup limits, ONNX Runtime, execution provider, edgetier and protocol
  /// versions. "{}" for tiers stored before schema 3.
  std::string host_json = "{}";
};

struct LinkRecord {
  std::string scenario;
  std::string link;  // mobile-edge | edge-cloud
  double configured_rate_mbit = 0;
  std::optional<double> achieved_rate_mbit;
  double configured_rtt_ms = 0;
  std::optional<double> rtt_ms;  // measured
  std::optional<double> forward_rate_mbit;  // towards the cloud; unset before schema 3
  std::optional<double> reverse_rate_mbit;
  /// "testbed" (this machine measured between the link's ends) or the name of the tier that
  /// sends on the link (remote devices); empty before schema 3.
  std::string probed_by;
  /// The token bucket of each direction as the testbed configured it (schema v3; unset for older
  /// rows): burst_bytes at this rate, and the rule that gives it at any rate, max(burst_min_bytes,
  /// burst_ms of data at the rate). 0 = no bucket (user-space pacing).
  std::optional<int64_t> burst_bytes;
  std::optional<int64_t> burst_min_bytes;
  std::optional<double> burst_ms;
};

/// (pass, request_index) pairs already stored for a strategy.
struct CompletedRequests {
  std::set<std::pair<int, int>> done;
  /// End-to-end latencies of the answered ones (outcome ok), for the stopping rule on resume.
  std::vector<int64_t> ok_latency_ns;
  /// The latest reply on the strategy's measuring clock (max sent_ns + end_to_end_ns): how long
  /// it has been measured, so a resumed run keeps its time budget.
  int64_t measured_ns = 0;
  bool contains(int pass, int request_index) const { return done.count({pass, request_index}) > 0; }
  size_t size() const { return done.size(); }
};

}  // namespace edgetier
