/// Reads one run of a results database (through the store, read-only) into StoredRun.
#include "store/reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/strings.h"
#include "store/store.h"

namespace edgetier {

namespace {

/// Reads one requests row laid out as request_breakdown_columns() after strategy_id, pass and
/// request_index (the order ResultStore::add_request binds them).
RequestRecord read_request(const SqliteStatement& s) {
  RequestRecord r;
  int i = 0;
  r.strategy_id = s.column_int64(i++);
  r.pass = static_cast<int>(s.column_int64(i++));
  r.request_index = static_cast<int>(s.column_int64(i++));
  r.input_file = s.column_text(i++);
  r.sent_ns = s.column_int64(i++);
  r.end_to_end_ns = s.column_int64(i++);
  r.client_ns = s.column_optional_int64(i++);
  for (TierTiming& t : r.tiers) {
    for (auto* v : {&t.queue_ns, &t.preprocess_ns, &t.compute_ns, &t.serialize_ns, &t.forward_ns})
      *v = s.column_optional_int64(i++);
  }
  for (LinkTraffic& l : r.links) {
    for (auto* v : {&l.transfer_ns, &l.bytes_up, &l.bytes_down}) *v = s.column_optional_int64(i++);
  }
  r.exit_taken = s.column_optional_int64(i++);
  r.outcome = s.column_text(i++);
  for (TierTiming& t : r.tiers) t.postprocess_ns = s.column_optional_int64(i++).value_or(0);
  return r;
}

/// Links and tiers of the run; a store older than schema 3 has no rates both ways, prober, host
/// facts or token buckets (they read as unset, "" and "{}").
Status read_links_and_tiers(SqliteDb& db, int schema_version, StoredRun* run) {
  const bool v3 = schema_version >= 3;
  ASSIGN_OR_RETURN(
      SqliteStatement links,
      db.prepare(std::string("SELECT scenario, link, configured_rate_mbit, achieved_rate_mbit, "
                             "configured_rtt_ms, rtt_ms") +
                 (v3 ? ", forward_rate_mbit, reverse_rate_mbit, probed_by, burst_bytes, "
                       "burst_min_bytes, burst_ms"
                     : "") +
                 " FROM links WHERE run_id = ? ORDER BY scenario, link"));
  links.bind(1, run->run.run_id);
  while (true) {
    ASSIGN_OR_RETURN(bool row, links.step());
    if (!row) break;
    LinkRecord l;
    l.scenario = links.column_text(0);
    l.link = links.column_text(1);
    l.configured_rate_mbit = links.column_double(2);
    l.achieved_rate_mbit = links.column_optional_double(3);
    l.configured_rtt_ms = links.column_double(4);
    l.rtt_ms = links.column_optional_double(5);
    if (v3) {
      l.forward_rate_mbit = links.column_optional_double(6);
      l.reverse_rate_mbit = links.column_optional_double(7);
      l.probed_by = links.column_text(8);
      l.burst_bytes = links.column_optional_int64(9);
      l.burst_min_bytes = links.column_optional_int64(10);
      l.burst_ms = links.column_optional_double(11);
    }
    run->links.push_back(std::move(l));
  }
  ASSIGN_OR_RETURN(SqliteStatement tiers,
                   db.prepare(std::string("SELECT name, cpus, memory_bytes, threads") +
                              (v3 ? ", host_json" : "") +
                              " FROM tiers WHERE run_id = ? ORDER BY name"));
  tiers.bind(1, run->run.run_id);
  while (true) {
    ASSIGN_OR_RETURN(bool row, tiers.step());
    if (!row) break;
    TierRecord t;
    t.name = tiers.column_text(0);
    t.cpus = tiers.column_double(1);
    t.memory_bytes = tiers.column_int64(2);
    t.threads = static_cast<int>(tiers.column_int64(3));
    if (v3) t.host_json = tiers.column_text(4);
    run->tiers.push_back(std::move(t));
  }
  return ok_status();
}

Status read_accuracy(SqliteDb& db, StoredRun* run) {
  ASSIGN_OR_RETURN(SqliteStatement acc,
                   db.prepare("SELECT model, ops, metric, value FROM accuracy WHERE run_id = ? "
                              "ORDER BY model, ops, metric"));
  acc.bind(1, run->run.run_id);
  while (true) {
    ASSIGN_OR_RETURN(bool row, acc.step());
    if (!row) break;
    run->accuracy.push_back(
        {acc.column_text(0), acc.column_text(1), acc.column_text(2), acc.column_double(3)});
  }
  return ok_status();
}

/// A store older than a column's schema reads it as 0 (postprocess_ns before v4: not recorded).
Status read_requests(SqliteDb& db, int schema_version, StoredRun* run) {
  std::string sql = "SELECT strategy_id, pass, request_index";
  for (const auto& c : request_breakdown_columns())
    sql += ", " + (request_column_schema(c) <= schema_version ? c : "0 AS " + c);
  sql += " FROM requests WHERE run_id = ? ORDER BY strategy_id, pass, request_index";
  ASSIGN_OR_RETURN(SqliteStatement stmt, db.prepare(sql));
  stmt.bind(1, run->run.run_id);
  std::map<int64_t, size_t> index;
  for (size_t i = 0; i < run->strategies.size(); ++i) index[run->strategies[i].row.strategy_id] = i;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) break;
    RequestRecord r = read_request(stmt);
    auto it = index.find(r.strategy_id);
    if (it == index.end()) {
      return data_loss("'" + run->path + "': a request row names strategy " +
                       std::to_string(r.strategy_id) + ", which run " +
                       std::to_string(run->run.run_id) + " does not have");
    }
    StoredStrategy& s = run->strategies[it->second];
    ++s.stored_requests;
    run->run.timing.request_sum_ns += r.end_to_end_ns;
    if (r.pass < run->discard_passes) continue;
    s.requests.push_back(std::move(r));
  }
  return ok_status();
}

/// Planned requests per strategy, discarded passes and cut windows, as the run recorded them
/// when it started. A run stored by schema v1 recorded none: it reads as planned unknown, no
/// pass discarded (every stored pass counts) and default cut windows, with a warning.
void read_run_facts(const ResultsDbOptions& options, StoredRun* run) {
  const RunFacts& facts = run->run.facts;
  if (!facts.recorded) {
    run->warnings.push_back("run " + std::to_string(run->run.run_id) +
                            " was stored by schema version 1, which kept no planned request "
                            "counts, discarded passes or cut windows: every stored pass counts");
    return;
  }
  run->planned_requests = facts.planned_requests;
  run->discard_passes = options.include_discarded_passes ? 0 : facts.discard_passes;
  for (const auto& [model, w] : facts.cut_windows) {
    run->cut_flops_window[model] = {w.min_flops_share, w.max_flops_share};
  }
}

}  // namespace

std::optional<QuantizeSearchRecord> quantize_search_of_plan_json(const std::string& plan_json) {
  const nlohmann::json plan = nlohmann::json::parse(plan_json, nullptr, false);
  if (!plan.is_object() || !plan.contains("quantize") || !plan["quantize"].is_object())
    return std::nullopt;
  const nlohmann::json& q = plan["quantize"];
  const nlohmann::json search = q.value("search", nlohmann::json::object());
  if (!q.contains("max_accuracy_loss") || !q["max_accuracy_loss"].is_number() ||
      !search.is_object())
    return std::nullopt;
  QuantizeSearchRecord r;
  r.max_accuracy_loss = q["max_accuracy_loss"].get<double>();
  if (q.contains("float_nodes") && q["float_nodes"].is_array()) {
    for (const auto& n : q["float_nodes"])
      if (n.is_string()) r.float_nodes.push_back(n.get<std::string>());
  }
  auto number = [&](const char* key) {
    return search.contains(key) && search[key].is_number() ? search[key].get<double>() : 0.0;
  };
  r.metric = search.contains("metric") && search["metric"].is_string()
                 ? search["metric"].get<std::string>()
                 : "";
  r.labelled = search.contains("labelled") && search["labelled"].is_boolean() &&
               search["labelled"].get<bool>();
  r.samples = static_cast<int64_t>(number("samples"));
  r.initial_loss_points = number("initial_loss_points");
  r.loss_points = number("loss_points");
  return r;
}

std::string StoredRun::source() const { return path + " (run " + std::to_string(run.run_id) + ")"; }

const LinkRecord* StoredRun::link(const std::string& scenario, const std::string& name) const {
  for (const auto& l : links) {
    if (l.scenario == scenario && l.link == name) return &l;
  }
  return nullptr;
}

std::vector<std::string> StoredRun::scenarios() const {
  std::vector<std::string> out;
  auto add = [&](const std::string& s) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  };
  for (const auto& s : strategies) add(s.row.scenario);
  for (const auto& l : links) add(l.scenario);
  return out;
}

bool has_sqlite_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(16, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  return in.gcount() == 16 && head.rfind("SQLite format 3", 0) == 0;
}

Result<StoredRun> read_results_database(const std::string& path, const ResultsDbOptions& options) {
  StoreOptions store_options;
  store_options.read_only = true;
  ASSIGN_OR_RETURN(std::unique_ptr<ResultStore> store, ResultStore::open(path, store_options));
  ASSIGN_OR_RETURN(std::vector<RunInfo> runs, store->runs());
  if (runs.empty()) {
    return not_found("results database '" + path +
                     "' holds no run yet; measure with `edgetier run` first");
  }
  StoredRun run;
  run.path = path;
  run.runs_in_database = static_cast<int>(runs.size());
  if (options.run_id) {
    auto it = std::find_if(runs.begin(), runs.end(),
                           [&](const RunInfo& r) { return r.run_id == *options.run_id; });
    if (it == runs.end()) {
      std::vector<std::string> ids;
      for (const auto& r : runs) ids.push_back(std::to_string(r.run_id));
      return not_found("run " + std::to_string(*options.run_id) + " is not in '" + path +
                       "'; it holds run(s) " + join(ids));
    }
    run.run = *it;
  } else {
    run.run = runs.back();
    if (runs.size() > 1) {
      run.warnings.push_back("'" + path + "' holds " + std::to_string(runs.size()) +
                             " runs; reading the newest, run " + std::to_string(run.run.run_id) +
                             " (choose another with --run)");
    }
  }
  read_run_facts(options, &run);
  if (run.run.status != "done") {
    run.warnings.push_back(
        "run " + std::to_string(run.run.run_id) + " is '" + run.run.status + "'" +
        (run.run.status == "running" ? " (still measuring, or stopped without finishing)" : "") +
        ": strategies it did not finish are listed as missing; `edgetier run --resume` "
        "completes it");
  }
  ASSIGN_OR_RETURN(std::vector<StrategyRow> rows, store->strategies(run.run.run_id));
  for (auto& row : rows) {
    if (auto q = quantize_search_of_plan_json(row.plan_json)) {
      const bool seen = std::any_of(
          run.quantize_searches.begin(), run.quantize_searches.end(),
          [&](const QuantizeSearchRecord& r) { return r.model == row.model && r.ops == row.ops; });
      if (!seen) {
        q->model = row.model;
        q->ops = row.ops;
        run.quantize_searches.push_back(std::move(*q));
      }
    }
    StoredStrategy s;
    s.row = std::move(row);
    run.strategies.push_back(std::move(s));
  }
  RETURN_IF_ERROR(read_requests(store->db(), store->schema_version(), &run));
  RETURN_IF_ERROR(read_links_and_tiers(store->db(), store->schema_version(), &run));
  RETURN_IF_ERROR(read_accuracy(store->db(), &run));
  return run;
}

}  // namespace edgetier
