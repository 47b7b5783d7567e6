#!/usr/bin/env bash
## Regenerates fuzz/<target>.dict from the keys and keywords the readers spell (quoted
## identifiers in their sources), so the dictionaries follow the formats when keys are added.
set -euo pipefail
cd "$(dirname "$0")/.."

words() {  # quoted identifier-like literals of the given files, one libFuzzer dict entry each
  grep -ohE '"[A-Za-z_][A-Za-z0-9_.@-]{1,40}"' "$@" | sort -u
}
write() {  # target, comment, files...
  local target=$1 comment=$2
  shift 2
  { echo "# $comment (fuzz/make_dicts.sh)"; words "$@"; cat; } > "fuzz/$target.dict"
}

write spec "experiment.yaml keys and keywords" src/experiment/spec*.cpp src/experiment/yaml_reader.cpp \
  src/strategy/*.cpp src/testbed/presets.cpp src/testbed/backend.cpp <<'EOF2'
": "
"- "
"{"
"}"
"["
"]"
"&a"
"*a"
"!!str"
"MiB"
"GiB"
EOF2
write tiers "tiers.yaml keys" src/testbed/presets.cpp src/testbed/topology.cpp <<'EOF2'
": "
"- "
"MiB"
"GiB"
EOF2
write manifest "manifest.json keys" src/ops/manifest.cpp src/runtime/preprocess.cpp \
  src/runtime/part_runner.cpp src/core/tensor.cpp src/strategy/operators.cpp </dev/null
write calibration "calibration table keys" src/ops/calibrate.cpp src/ops/histogram.cpp </dev/null
write sidecar "sidecar and preprocessing keys" src/runtime/model_sidecar.cpp src/runtime/preprocess.cpp \
  src/strategy/task.cpp </dev/null
write results_csv "samples/accuracy CSV columns and names" src/analysis/result_set.cpp \
  src/strategy/*.cpp src/metrics/metric.cpp <<'EOF2'
","
"\""
"\x0d\x0a"
EOF2
write model "ONNX op types and attribute names the graph code knows" src/graph/*.cpp src/ops/*.cpp <<'EOF2'
"location"
"offset"
"length"
"model.onnx.data"
"ai.onnx"
EOF2
