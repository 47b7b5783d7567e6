/// Shared pieces of the experiment.yaml parser (spec_yaml.cpp, spec_yaml_network.cpp).
#pragma once

#include <string>
#include <vector>

#include "experiment/spec.h"
#include "experiment/yaml_reader.h"

namespace edgetier::spec_yaml {

/// `p` resolved against `base_dir` when relative, normalised.
std::string resolve_path(const std::string& base_dir, const std::string& p);
/// An error naming the choices and the nearest one when `value` is not among them.
Status check_choice(const YamlCursor& at, const std::string& value,
                    const std::vector<std::string>& choices);
/// An error "value must be <what>" when `v` is outside [lo, hi].
Status check_range(const YamlCursor& at, double v, double lo, double hi, const std::string& what);

/// `testbed:` as a preset name or a map {preset, network, tiers, links}.
/// `base_dir`: the spec's folder, which remote tiers' file paths are relative to.
Result<TestbedSpec> parse_testbed(const YamlCursor& at, const std::string& base_dir);
/// `scenarios:` as a list of {name, links} and {sweep, links} entries, appended to `out`.
Status parse_scenarios(const YamlCursor& at, const TestbedSpec& testbed,
                       std::vector<ScenarioSpec>* out);
/// `measurement:` with its preset applied first.
Result<MeasurementSpec> parse_measurement(const YamlCursor& at);

}  // namespace edgetier::spec_yaml
