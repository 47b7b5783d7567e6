/// Finds and removes what the testbed created, by run id, also after its controller was killed
/// with SIGKILL. Only names matching our patterns are ever touched:
/// namespaces et-<run>-<tier>, interfaces et<run>l<i>{a,b}[i], cgroups edgetier-<run>-<tier>,
/// processes whose environment holds EDGETIER_TESTBED_RUN=<run>.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace edgetier::testbed {

/// Environment variable every tier process carries, so its run finds it without a state file.
constexpr const char* kRunIdEnv = "EDGETIER_TESTBED_RUN";

/// A fresh run id: 6 lowercase hex digits.
std::string new_run_id();
bool is_run_id(std::string_view text);

/// Name matchers; an empty `run_id` matches any run id (for `down --all`).
bool is_testbed_netns(std::string_view name, std::string_view run_id = {});
bool is_testbed_interface(std::string_view name, std::string_view run_id = {});
bool is_testbed_cgroup(std::string_view name, std::string_view run_id = {});

struct TeardownReport {
  std::vector<std::string> run_ids;
  std::vector<std::string> processes;  // "1234 (et-ab12cd-edge)"
  std::vector<std::string> namespaces;
  std::vector<std::string> interfaces;
  std::vector<std::string> cgroups;
  std::vector<std::string> files;
  std::vector<std::string> errors;  // what could not be removed
  bool removed_anything() const;
  nlohmann::json to_json() const;
  std::string to_text() const;
};

/// Removes everything of run `run_id` (empty: of every run). `state_dir`, when it holds that
/// run's state file, also gives the tier pids, sockets and the state file to remove. Errors are
/// collected in the report; the status is only an error when something of ours is left behind.
Result<TeardownReport> teardown_run(const std::string& run_id, const std::string& state_dir);

/// Our resources of run `run_id` (empty: of any run) that exist right now: namespaces,
/// interfaces in the root namespace, cgroup directories, processes carrying the run id.
struct Leftovers {
  std::vector<std::string> namespaces;
  std::vector<std::string> interfaces;
  std::vector<std::string> cgroups;
  std::vector<int> pids;
  bool empty() const {
    return namespaces.empty() && interfaces.empty() && cgroups.empty() && pids.empty();
  }
  std::string to_text() const;
};
Leftovers find_leftovers(const std::string& run_id);

}  // namespace edgetier::testbed
