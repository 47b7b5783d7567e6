/// The results store's writes and queries: idempotent rows, batched request inserts.
#include "store/store.h"

#include <algorithm>
#include <ctime>
#include <filesystem>

#include "core/clock.h"

namespace edgetier {
namespace {

std::string now_iso8601() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

nlohmann::json cut_windows_json(const RunFacts& facts) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [model, w] : facts.cut_windows) {
    j[model] = {{"min_flops_share", w.min_flops_share}, {"max_flops_share", w.max_flops_share}};
  }
  return j;
}

void bind_facts(SqliteStatement& stmt, int first, const RunFacts& facts) {
  stmt.bind(first, facts.planned_requests);
  stmt.bind(first + 1, static_cast<int64_t>(facts.discard_passes));
  stmt.bind(first + 2, cut_windows_json(facts).dump());
}

}  // namespace

ResultStore::~ResultStore() {
  std::lock_guard<std::mutex> lock(mu_);
  if (in_batch_) (void)commit_locked();
  insert_request_ = SqliteStatement();
}

Status ResultStore::begin_batch_locked() {
  if (in_batch_) return ok_status();
  RETURN_IF_ERROR(db_.exec("BEGIN IMMEDIATE"));
  in_batch_ = true;
  pending_rows_ = 0;
  batch_started_ns_ = monotonic_ns();
  return ok_status();
}

Status ResultStore::commit_locked() {
  if (!in_batch_) return ok_status();
  Status st = db_.exec("COMMIT");
  if (!st.ok()) {
    // A failed COMMIT (disk full) leaves the transaction open or rolled back: end it either way
    // so the store stays usable; the batch's rows are lost and --resume measures them again.
    if (!sqlite3_get_autocommit(db_.handle())) (void)db_.exec("ROLLBACK");
  }
  in_batch_ = false;
  pending_rows_ = 0;
  return st;
}

Result<int64_t> ResultStore::begin_run(const std::string& name, const std::string& spec_hash,
                                       const std::string& spec_yaml, const nlohmann::json& env,
                                       const RunFacts& facts) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t run_id = 0;
  RETURN_IF_ERROR(write_locked([&]() -> Status {
    ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        db_.prepare("INSERT INTO runs (name, spec_hash, spec_yaml, started_at, status, env_json, "
                    "planned_requests, discard_passes, cut_windows_json) "
                    "VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?)"));
    stmt.bind(1, name);
    stmt.bind(2, spec_hash);
    stmt.bind(3, spec_yaml);
    stmt.bind(4, now_iso8601());
    stmt.bind(5, env.dump());
    bind_facts(stmt, 6, facts);
    RETURN_IF_ERROR(stmt.run());
    run_id = sqlite3_last_insert_rowid(db_.handle());
    return ok_status();
  }));
  return run_id;
}

Result<std::vector<RunInfo>> ResultStore::runs() {
  std::lock_guard<std::mutex> lock(mu_);
  // A v1 store (read-only) has no facts columns: its runs read as not recorded.
  const bool v1 = schema_version_ < 2;
  ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_.prepare(std::string("SELECT run_id, name, spec_hash, spec_yaml, started_at, finished_at, "
                              "status, env_json, ") +
                  (v1 ? "NULL, NULL, '{}'" : "planned_requests, discard_passes, cut_windows_json") +
                  (schema_version_ >= 3 ? ", timing_json" : ", '{}'") +
                  " FROM runs ORDER BY run_id"));
  std::vector<RunInfo> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) break;
    RunInfo r;
    r.run_id = stmt.column_int64(0);
    r.name = stmt.column_text(1);
    r.spec_hash = stmt.column_text(2);
    r.spec_yaml = stmt.column_text(3);
    r.started_at = stmt.column_text(4);
    r.finished_at = stmt.column_text(5);
    r.status = stmt.column_text(6);
    r.env = nlohmann::json::parse(stmt.column_text(7), nullptr, false);
    if (r.env.is_discarded())
      return data_loss("run " + std::to_string(r.run_id) + " has a corrupt env_json");
    const std::optional<int64_t> discard = stmt.column_optional_int64(9);
    r.facts.recorded = discard.has_value();
    r.facts.planned_requests = stmt.column_optional_int64(8);
    r.facts.discard_passes = static_cast<int>(discard.value_or(0));
    const auto windows = nlohmann::json::parse(stmt.column_text(10), nullptr, false);
    if (!windows.is_object())
      return data_loss("run " + std::to_string(r.run_id) + " has a corrupt cut_windows_json");
    for (const auto& [model, w] : windows.items()) {
      if (!w.is_object()) continue;
      r.facts.cut_windows[model] = {w.value("min_flops_share", 0.0),
                                    w.value("max_flops_share", 1.0)};
    }
    auto timing = campaign_timing_of_json(
        nlohmann::json::parse(stmt.column_text(11), nullptr, false));
    if (!timing.ok())
      return data_loss("run " + std::to_string(r.run_id) + ": " + timing.status().message());
    r.timing = std::move(*timing);
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::optional<RunInfo>> ResultStore::resumable_run(const std::string& spec_hash) {
  ASSIGN_OR_RETURN(std::vector<RunInfo> all, runs());
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (it->spec_hash == spec_hash && it->status != "done") return std::optional<RunInfo>(*it);
  }
  return std::optional<RunInfo>();
}

Status ResultStore::reopen_run(int64_t run_id, const nlohmann::json& env) {
  std::lock_guard<std::mutex> lock(mu_);
  return write_locked([&]() -> Status {
    ASSIGN_OR_RETURN(SqliteStatement stmt,
                     db_.prepare("UPDATE runs SET status = 'running', finished_at = NULL, env_json "
                                 "= ? WHERE run_id = ?"));
    stmt.bind(1, env.dump());
    stmt.bind(2, run_id);
    RETURN_IF_ERROR(stmt.run());
    if (sqlite3_changes(db_.handle()) != 1)
      return not_found("run " + std::to_string(run_id) + " is not in the store");
    return ok_status();
  });
}

Status ResultStore::record_run_facts(int64_t run_id, const RunFacts& facts) {
  std::lock_guard<std::mutex> lock(mu_);
  return write_locked([&]() -> Status {
    ASSIGN_OR_RETURN(SqliteStatement stmt,
                     db_.prepare("UPDATE runs SET planned_requests = ?, discard_passes = ?, "
                                 "cut_windows_json = ? WHERE run_id = ?"));
    bind_facts(stmt, 1, facts);
    stmt.bind(4, run_id);
    RETURN_IF_ERROR(stmt.run());
    if (sqlite3_changes(db_.handle()) != 1)
      return not_found("run " + std::to_string(run_id) + " is not in the store");
    return ok_status();
  });
}

Status ResultStore::finish_run(int64_t run_id, std::string_view status) {
  std::lock_guard<std::mutex> lock(mu_);
  return write_locked([&]() -> Status {
    ASSIGN_OR_RETURN(SqliteStatement stmt,
                     db_.prepare("UPDATE runs SET status = ?, finished_at = ? WHERE run_id = ?"));
    stmt.bind(1, status);
    stmt.bind(2, now_iso8601());
    stmt.bind(3, run_id);
    return stmt.run();
  });
}

Status ResultStore::record_tier(int64_t run_id, const TierRecord& tier) {
  std::lock_guard<std::mutex> lock(mu_);
  return write_locked([&]() -> Status {
    ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        db_.prepare("INSERT OR REPLACE INTO tiers (run_id, name, cpus, memory_bytes, threads, "
                    "host_json) VALUES (?, ?, ?, ?, ?, ?)"));
    stmt.bind(1, run_id);
    stmt.bind(2, tier.name);
    stmt.bind(3, tier.cpus);
    stmt.bind(4, tier.memory_bytes);
    stmt.bind(5, tier.threads);
    stmt.bind(6, tier.host_json);
    return stmt.run();
  });
}

Status ResultStore::record_link(int64_t run_id, const LinkRecord& link) {
  std::lock_guard<std::mutex> lock(mu_);
  return write_locked([&]() -> Status {
    ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        db_.prepare("INSERT OR REPLACE INTO links (run_id, scenario, link, configured_rate_mbit, "
                    "achieved_rate_mbit, configured_rtt_ms, rtt_ms, forward_rate_mbit, "
                    "reverse_rate_mbit, probed_by, burst_bytes, burst_min_bytes, burst_ms) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    stmt.bind(1, run_id);
    stmt.bind(2, link.scenario);
    stmt.bind(3, link.link);
    stmt.bind(4, link.configured_rate_mbit);
    stmt.bind(5, link.achieved_rate_mbit);
    stmt.bind(6, link.configured_rtt_ms);
    stmt.bind(7, link.rtt_ms);
    stmt.bind(8, link.forward_rate_mbit);
    stmt.bind(9, link.reverse_rate_mbit);
    stmt.bind(10, link.probed_by);
    stmt.bind(11, link.burst_bytes);
    stmt.bind(12, link.burst_min_bytes);
    stmt.bind(13, link.burst_ms);
    return stmt.run();
  });
}

Result<int64_t> ResultStore::upsert_strategy(int64_t run_id, const StrategyRow& row) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t id = 0;
  RETURN_IF_ERROR(write_locked([&]() -> Status {
    ASSIGN_OR_RETURN(
        SqliteStatement insert,
        db_.prepare(
            "INSERT INTO strategies (run_id, model, ops, placement, scenario, name, "
            "variant_hash, status, reason, plan_json, steps_json) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (run_id, model, ops, placement, scenario) "
            "DO UPDATE SET plan_json = excluded.plan_json, steps_json = excluded.steps_json"));
    insert.bind(1, run_id);
    insert.bind(2, row.model);
    insert.bind(3, row.ops);
    insert.bind(4, row.placement);
    insert.bind(5, row.scenario);
    insert.bind(6, row.name.empty() ? strategy_label(row.ops, row.placement) : row.name);
    insert.bind(7, row.variant_hash);
    insert.bind(8, strategy_status_name(row.status));
    insert.bind(9, row.reason);
    insert.bind(10, row.plan_json);
    insert.bind(11, nlohmann::json(row.steps).dump());
    RETURN_IF_ERROR(insert.run());
    ASSIGN_OR_RETURN(
        SqliteStatement find,
        db_.prepare("SELECT strategy_id FROM strategies WHERE run_id = ? AND model = ? AND ops = ? "
                    "AND placement = ? AND scenario = ?"));
    find.bind(1, run_id);
    find.bind(2, row.model);
    find.bind(3, row.ops);
    find.bind(4, row.placement);
    find.bind(5, row.scenario);
    ASSIGN_OR_RETURN(bool found, find.step());
    if (!found) return internal_error("strategy row vanished after insert");
    id = find.column_int64(0);
    return ok_status();
  }));
  scenario_cache_.emplace_back(id, row.scenario);
  return id;
}

Status ResultStore::set_strategy_status(int64_t strategy_id, StrategyStatus status,
                                        const std::string& reason,
                                        const std::string& variant_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  return write_locked([&]() -> Status {
    ASSIGN_OR_RETURN(SqliteStatement stmt,
                     db_.prepare("UPDATE strategies SET status = ?, reason = ?, "
                                 "variant_hash = CASE WHEN ? = '' THEN variant_hash ELSE ? END "
                                 "WHERE strategy_id = ?"));
    stmt.bind(1, strategy_status_name(status));
    stmt.bind(2, reason);
    stmt.bind(3, variant_hash);
    stmt.bind(4, variant_hash);
    stmt.bind(5, strategy_id);
    RETURN_IF_ERROR(stmt.run());
    if (sqlite3_changes(db_.handle()) != 1) {
      return not_found("strategy " + std::to_string(strategy_id) + " is not in the store");
    }
    return ok_status();
  });
}

Status ResultStore::record_stop(int64_t strategy_id, const std::string& stop_reason,
                                std::optional<double> precision_pct) {
  std::lock_guard<std::mutex> lock(mu_);
  return write_locked([&]() -> Status {
    ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        db_.prepare(
            "UPDATE strategies SET stop_reason = ?, precision_pct = ? WHERE strategy_id = ?"));
    stmt.bind(1, stop_reason);
    stmt.bind(2, precision_pct);
    stmt.bind(3, strategy_id);
    RETURN_IF_ERROR(stmt.run());
    if (sqlite3_changes(db_.handle()) != 1) {
      return not_found("strategy " + std::to_string(strategy_id) + " is not in the store");
    }
    return ok_status();
  });
}

Result<std::vector<StrategyRow>> ResultStore::strategies(int64_t run_id) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(commit_locked());
  ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_.prepare(std::string("SELECT strategy_id, run_id, model, ops, placement, scenario, name, "
                              "variant_hash, status, reason, plan_json, ") +
                  (schema_version_ < 2 ? "NULL" : "steps_json") +
                  (schema_version_ < 3 ? ", '', NULL" : ", stop_reason, precision_pct") +
                  " FROM strategies WHERE run_id = ? ORDER BY strategy_id"));
  stmt.bind(1, run_id);
  std::vector<StrategyRow> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) break;
    StrategyRow r;
    r.strategy_id = stmt.column_int64(0);
    r.run_id = stmt.column_int64(1);
    r.model = stmt.column_text(2);
    r.ops = stmt.column_text(3);
    r.placement = stmt.column_text(4);
    r.scenario = stmt.column_text(5);
    r.name = stmt.column_text(6);
    r.variant_hash = stmt.column_text(7);
    ASSIGN_OR_RETURN(r.status, parse_strategy_status(stmt.column_text(8)));
    r.reason = stmt.column_text(9);
    r.plan_json = stmt.column_text(10);
    if (schema_version_ < 2) {
      r.steps = steps_of_plan_json(r.plan_json);  // what the migration would have copied
    } else {
      const auto steps = nlohmann::json::parse(stmt.column_text(11), nullptr, false);
      if (!steps.is_array())
        return data_loss("strategy " + std::to_string(r.strategy_id) + " has corrupt steps_json");
      for (const auto& step : steps) {
        if (step.is_string()) r.steps.push_back(step.get<std::string>());
      }
    }
    r.stop_reason = stmt.column_text(12);
    r.precision_pct = stmt.column_optional_double(13);
    out.push_back(std::move(r));
  }
  return out;
}

Status ResultStore::add_request(int64_t run_id, const RequestRecord& r) {
  std::lock_guard<std::mutex> lock(mu_);
  // The scenario column repeats the strategy's, so each row carries its full key.
  std::string scenario;
  for (auto it = scenario_cache_.rbegin(); it != scenario_cache_.rend(); ++it) {
    if (it->first == r.strategy_id) {
      scenario = it->second;
      break;
    }
  }
  if (scenario.empty()) {
    RETURN_IF_ERROR(commit_locked());
    ASSIGN_OR_RETURN(
        SqliteStatement find,
        db_.prepare("SELECT scenario FROM strategies WHERE strategy_id = ? AND run_id = ?"));
    find.bind(1, r.strategy_id);
    find.bind(2, run_id);
    ASSIGN_OR_RETURN(bool found, find.step());
    if (!found) {
      return not_found("strategy " + std::to_string(r.strategy_id) + " of run " +
                       std::to_string(run_id) +
                       " is not in the store (call upsert_strategy first)");
    }
    scenario = find.column_text(0);
    scenario_cache_.emplace_back(r.strategy_id, scenario);
  }
  RETURN_IF_ERROR(begin_batch_locked());
  SqliteStatement& s = insert_request_;
  int i = 1;
  s.bind(i++, run_id);
  s.bind(i++, r.strategy_id);
  s.bind(i++, scenario);
  s.bind(i++, r.pass);
  s.bind(i++, r.request_index);
  s.bind(i++, r.input_file);
  s.bind(i++, r.sent_ns);
  s.bind(i++, r.end_to_end_ns);
  s.bind(i++, r.client_ns);
  for (const TierTiming& t : r.tiers) {
    for (const auto* v :
         {&t.queue_ns, &t.preprocess_ns, &t.compute_ns, &t.serialize_ns, &t.forward_ns})
      s.bind(i++, *v);
  }
  for (const LinkTraffic& l : r.links) {
    for (const auto* v : {&l.transfer_ns, &l.bytes_up, &l.bytes_down}) s.bind(i++, *v);
  }
  s.bind(i++, r.exit_taken);
  s.bind(i++, r.outcome);
  // Schema 4's columns follow the version-1 ones (request_breakdown_columns()).
  for (const TierTiming& t : r.tiers) s.bind(i++, t.postprocess_ns);
  Status st = s.run();
  if (!st.ok()) {
    // Keep what earlier batches committed; drop this batch (resume measures it again).
    if (!sqlite3_get_autocommit(db_.handle())) (void)db_.exec("ROLLBACK");
    in_batch_ = false;
    pending_rows_ = 0;
    return st;
  }
  ++pending_rows_;
  if (pending_rows_ >= options_.commit_rows ||
      monotonic_ns() - batch_started_ns_ >= options_.commit_interval_ms * 1000000) {
    return commit_locked();
  }
  return ok_status();
}

Status ResultStore::flush() {
  std::lock_guard<std::mutex> lock(mu_);
  return commit_locked();
}

Result<CompletedRequests> ResultStore::completed_requests(int64_t run_id, int64_t strategy_id) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(commit_locked());
  ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_.prepare("SELECT pass, request_index, outcome, end_to_end_ns, sent_ns FROM requests "
                  "WHERE run_id = ? AND strategy_id = ?"));
  stmt.bind(1, run_id);
  stmt.bind(2, strategy_id);
  CompletedRequests out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) break;
    out.done.emplace(static_cast<int>(stmt.column_int64(0)),
                     static_cast<int>(stmt.column_int64(1)));
    const std::optional<int64_t> e2e_ns = stmt.column_optional_int64(3);
    const std::optional<int64_t> sent_ns = stmt.column_optional_int64(4);
    if (stmt.column_text(2) == "ok" && e2e_ns) out.ok_latency_ns.push_back(*e2e_ns);
    if (e2e_ns && sent_ns) out.measured_ns = std::max(out.measured_ns, *sent_ns + *e2e_ns);
  }
  return out;
}

Result<int64_t> ResultStore::count_requests(int64_t run_id) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(commit_locked());
  ASSIGN_OR_RETURN(SqliteStatement stmt,
                   db_.prepare("SELECT COUNT(*) FROM requests WHERE run_id = ?"));
  stmt.bind(1, run_id);
  ASSIGN_OR_RETURN(bool row, stmt.step());
  return row ? stmt.column_int64(0) : 0;
}

Result<int64_t> ResultStore::count_ok_requests(int64_t run_id) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(commit_locked());
  ASSIGN_OR_RETURN(SqliteStatement stmt,
                   db_.prepare("SELECT COUNT(*) FROM requests WHERE run_id = ? AND outcome = 'ok'"));
  stmt.bind(1, run_id);
  ASSIGN_OR_RETURN(bool row, stmt.step());
  return row ? stmt.column_int64(0) : 0;
}

Status ResultStore::record_accuracy(int64_t run_id, const std::string& model,
                                    const std::string& ops, const MetricValue& value,
                                    const std::string& variant_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  return write_locked([&]() -> Status {
    ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        db_.prepare("INSERT INTO accuracy (run_id, model, ops, metric, value, n, variant_hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, model, ops, metric) "
                    "DO UPDATE SET value = excluded.value, n = excluded.n, "
                    "variant_hash = excluded.variant_hash"));
    stmt.bind(1, run_id);
    stmt.bind(2, model);
    stmt.bind(3, ops);
    stmt.bind(4, value.metric);
    stmt.bind(5, value.value);
    stmt.bind(6, value.n);
    stmt.bind(7, variant_hash);
    return stmt.run();
  });
}

Result<std::vector<MetricValue>> ResultStore::accuracy(int64_t run_id, const std::string& model,
                                                       const std::string& ops) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(commit_locked());
  ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_.prepare(
          "SELECT metric, value, n FROM accuracy WHERE run_id = ? AND model = ? AND ops = ? "
          "ORDER BY metric"));
  stmt.bind(1, run_id);
  stmt.bind(2, model);
  stmt.bind(3, ops);
  std::vector<MetricValue> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) break;
    out.push_back({stmt.column_text(0), stmt.column_double(1), stmt.column_int64(2)});
  }
  return out;
}

}  // namespace edgetier
