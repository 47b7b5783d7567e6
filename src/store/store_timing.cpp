/// runs.timing_json: where a run's wall time went (CampaignTiming), written once per invocation.
#include "core/json_reader.h"
#include "store/store.h"

namespace edgetier {

nlohmann::json campaign_timing_json(const CampaignTiming& t) {
  return {{"wall_ns", t.wall_ns},
          {"phases_ns", nlohmann::json(t.phases_ns)},
          {"overlapped_ns", nlohmann::json(t.overlapped_ns)}};
}

Result<CampaignTiming> campaign_timing_of_json(const nlohmann::json& j) {
  CampaignTiming t;
  if (!j.is_object()) return data_loss("timing_json is " + describe_json(j) + ", not an object");
  if (j.empty()) return t;  // the run never ended: nothing recorded
  if (!j.contains("wall_ns")) return data_loss("timing_json has no wall_ns");
  auto wall = json_whole_number(j.at("wall_ns"), "timing_json: wall_ns", 0);
  if (!wall.ok()) return data_loss(wall.status().message());
  t.wall_ns = *wall;
  for (const char* key : {"phases_ns", "overlapped_ns"}) {
    auto& out = std::string_view(key) == "phases_ns" ? t.phases_ns : t.overlapped_ns;
    if (!j.contains(key)) continue;
    if (!j.at(key).is_object())
      return data_loss(std::string("timing_json: ") + key + " is not an object");
    for (const auto& [name, value] : j.at(key).items()) {
      auto ns = json_whole_number(value, std::string("timing_json: ") + key + "." + name, 0);
      if (!ns.ok()) return data_loss(ns.status().message());
      out[name] = *ns;
    }
  }
  t.recorded = true;
  return t;
}

Status ResultStore::add_campaign_timing(int64_t run_id, const CampaignTiming& add) {
  std::lock_guard<std::mutex> lock(mu_);
  return write_locked([&]() -> Status {
    ASSIGN_OR_RETURN(SqliteStatement read,
                     db_.prepare("SELECT timing_json FROM runs WHERE run_id = ?"));
    read.bind(1, run_id);
    ASSIGN_OR_RETURN(bool row, read.step());
    if (!row) return not_found("run " + std::to_string(run_id) + " is not in the store");
    CampaignTiming sum;
    const auto stored = nlohmann::json::parse(read.column_text(0), nullptr, false);
    if (auto before = campaign_timing_of_json(stored); before.ok()) sum = *before;
    sum.wall_ns += add.wall_ns;
    for (const auto& [k, v] : add.phases_ns) sum.phases_ns[k] += v;
    for (const auto& [k, v] : add.overlapped_ns) sum.overlapped_ns[k] += v;
    ASSIGN_OR_RETURN(SqliteStatement write,
                     db_.prepare("UPDATE runs SET timing_json = ? WHERE run_id = ?"));
    write.bind(1, campaign_timing_json(sum).dump());
    write.bind(2, run_id);
    return write.run();
  });
}

}  // namespace edgetier
