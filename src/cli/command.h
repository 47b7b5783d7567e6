/// The subcommand table's types and the helpers every subcommand uses to report results.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/status.h"

namespace edgetier::cli {

/// Adds a subcommand's options to `app` and returns the action to run after parsing.
/// The action returns the process exit code.
using CommandSetup = std::function<std::function<int()>(CLI::App* app)>;

struct CommandSpec {
  std::string_view name;
  std::string_view summary;
  CommandSetup setup;
};

/// Prints "edgetier: error: <message>" on one line and returns the exit code for `status`.
int report_error(const Status& status);
/// Prints `value` as JSON (indented) on stdout.
void print_json(const nlohmann::json& value);

}  // namespace edgetier::cli
