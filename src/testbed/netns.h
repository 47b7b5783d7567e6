/// Network namespaces for tiers (named et-<run_id>-<tier>): create, list, delete, enter.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace edgetier::testbed {

/// "et-<run_id>-<tier>".
std::string netns_name(std::string_view run_id, std::string_view tier);
/// Where `ip netns` keeps the namespace handle: /run/netns/<name>.
std::string netns_path(const std::string& name);

/// `ip netns add NAME` and brings its loopback up.
Status create_netns(const std::string& name);
/// Kills the processes inside (SIGKILL) and runs `ip netns del NAME`; OK when it is gone already.
Status delete_netns(const std::string& name);
/// Names from `ip netns list`.
Result<std::vector<std::string>> list_netns();
/// Processes whose network namespace is `name` (`ip netns pids`).
std::vector<pid_t> netns_pids(const std::string& name);

/// Opens the namespace handle (O_RDONLY | O_CLOEXEC) for setns(2) in a child.
Result<int> open_netns(const std::string& name);
/// Runs `fn` on a fresh thread that joined namespace `name` (empty: the current one). Sockets
/// made there belong to that namespace for their whole life, so one process can hold both ends
/// of a link.
Status run_in_netns(const std::string& name, const std::function<void()>& fn);

}  // namespace edgetier::testbed
