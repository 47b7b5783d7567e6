/// A checked runner for external tools (ip, tc): argument vectors, no shell, stderr in errors.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace edgetier::testbed {

struct CommandOutput {
  int exit_code = 0;  // 128 + signal when the command was killed
  std::string out;
  std::string err;
};

struct CommandOptions {
  int timeout_ms = 10000;  // the command is killed (SIGKILL) after this
};

/// Resolves a tool name to a path: PATH first, then /usr/sbin, /sbin, /usr/bin, /bin (root's
/// tools such as `ip` and `tc` live in sbin, which a non-login PATH may lack).
Result<std::string> find_tool(const std::string& name);

/// Runs argv[0] (resolved with find_tool) with stdin from /dev/null and stdout/stderr captured.
/// A non-zero exit is not an error here; a tool that cannot be started or times out is.
Result<CommandOutput> run_command(const std::vector<std::string>& argv,
                                  const CommandOptions& options = {});

/// Like run_command, but a non-zero exit becomes an error naming the command and its stderr:
/// "`tc qdisc add dev x root tbf ...` failed (exit 2): Error: Specified qdisc kind is unknown."
Status run_checked(const std::vector<std::string>& argv, const CommandOptions& options = {});
/// run_checked that returns the command's stdout.
Result<std::string> run_checked_output(const std::vector<std::string>& argv,
                                       const CommandOptions& options = {});

/// "ip link add x type veth" (arguments with spaces are quoted) for messages and logs.
std::string command_to_string(const std::vector<std::string>& argv);

}  // namespace edgetier::testbed
