/// Declarations of every subcommand's setup function (one file per subcommand in src/cli/).
#pragma once

#include "cli/command.h"

namespace edgetier::cli {

std::function<int()> setup_inspect(CLI::App* app);
std::function<int()> setup_serve(CLI::App* app);
std::function<int()> setup_deploy(CLI::App* app);
std::function<int()> setup_request(CLI::App* app);

std::function<int()> setup_testbed(CLI::App* app);
std::function<int()> setup_analyze(CLI::App* app);
std::function<int()> setup_recommend(CLI::App* app);
std::function<int()> setup_findings(CLI::App* app);
std::function<int()> setup_report(CLI::App* app);
std::function<int()> setup_run(CLI::App* app);
std::function<int()> setup_init(CLI::App* app);
std::function<int()> setup_export(CLI::App* app);
std::function<int()> setup_data(CLI::App* app);
std::function<int()> setup_profile(CLI::App* app);
std::function<int()> setup_partition(CLI::App* app);
std::function<int()> setup_early_exit(CLI::App* app);
std::function<int()> setup_variants(CLI::App* app);
std::function<int()> setup_verify(CLI::App* app);
std::function<int()> setup_calibrate(CLI::App* app);
std::function<int()> setup_quantize(CLI::App* app);
std::function<int()> setup_plan(CLI::App* app);

}  // namespace edgetier::cli
