/// Results store write cost: a commit per request row vs batched commits (WAL,
/// synchronous=NORMAL), measured side by side in the same run. Prints rows/s and the ratio.
#include <cstdio>
#include <filesystem>
#include <string>

#include "core/clock.h"
#include "store/store.h"

namespace {

using edgetier::RequestRecord;
using edgetier::ResultStore;
using edgetier::StoreOptions;

/// Inserts `rows` request rows into a fresh store; returns the elapsed nanoseconds.
int64_t insert_rows(const std::string& path, int commit_rows, int rows) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
  std::filesystem::remove(path + "-wal", ec);
  std::filesystem::remove(path + "-shm", ec);
  StoreOptions options;
  options.commit_rows = commit_rows;
  options.commit_interval_ms = 1000000;
  auto store = ResultStore::open(path, options);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().to_string().c_str());
    std::exit(1);
  }
  const int64_t run = *(*store)->begin_run("bench", "h", "", {});
  edgetier::StrategyRow row;
  row.model = "m";
  row.ops = "I";
  row.placement = "M";
  row.scenario = "default";
  const int64_t strategy = *(*store)->upsert_strategy(run, row);
  edgetier::Stopwatch watch;
  for (int i = 0; i < rows; ++i) {
    RequestRecord r;
    r.strategy_id = strategy;
    r.request_index = i;
    r.input_file = "images/" + std::to_string(i) + ".png";
    r.end_to_end_ns = 1000000 + i;
    r.tiers[0].compute_ns = 500000;
    r.links[1].bytes_up = 802816;
    if (!(*store)->add_request(run, r).ok()) std::exit(1);
  }
  if (!(*store)->flush().ok()) std::exit(1);
  return watch.elapsed_ns();
}

}  // namespace

int main() {
  const std::string dir =
      (std::filesystem::temp_directory_path() / "edgetier-bench-store").string();
  std::filesystem::create_directories(dir);
  const int rows = 5000;
  int64_t per_row_ns = 0, batched_ns = 0;
  // Interleaved rounds so both variants see the same machine state.
  for (int round = 0; round < 3; ++round) {
    per_row_ns += insert_rows(dir + "/per_row.db", 1, rows);
    batched_ns += insert_rows(dir + "/batched.db", 64, rows);
  }
  const double per_row_us = per_row_ns / 1e3 / (3.0 * rows);
  const double batched_us = batched_ns / 1e3 / (3.0 * rows);
  std::printf(
      "store insert, %d rows x 3 rounds: commit per row %.1f us/row, batches of 64 %.1f us/row, "
      "per-row/batched = %.2fx\n",
      rows, per_row_us, batched_us, per_row_us / batched_us);
  std::filesystem::remove_all(dir);
  return 0;
}
