#!/usr/bin/env bash
## Builds the libFuzzer targets of fuzz/ (clang, ASan + UBSan) and runs each for FUZZ_SECONDS on a
## copy of its seed corpus (fuzz/corpus/<target>, with fuzz/<target>.dict when present). Prints one
## line per target (executions, coverage, corpus) and exits non-zero on any crash, leak, timeout
## (> 2 s for one input) or out-of-memory (> 2 GB); the input that did it is kept under
## <build>/fuzz-artifacts/<target>/ and the log beside it. With --unit-tests it builds and runs,
## in the same build, the unit tests of the code that reads external input instead
## (edgetier_sanitizer_tests, listed in fuzz/CMakeLists.txt). Usage:
##   scripts/fuzz.sh [TARGET...]   (env: FUZZ_SECONDS=60, FUZZ_BUILD_DIR=build-fuzz, JOBS, CXX_FUZZ=clang++-14)
##   scripts/fuzz.sh --unit-tests [GTEST_FILTER]
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
seconds="${FUZZ_SECONDS:-60}"
build="${FUZZ_BUILD_DIR:-build-fuzz}"
jobs="${JOBS:-$(nproc)}"
cxx="${CXX_FUZZ:-clang++-14}"

die() { printf 'fuzz: error: %s\n' "$*" >&2; exit 1; }
command -v "$cxx" >/dev/null || die "$cxx not found; install clang-14 libclang-rt-14-dev (make test-deps)"
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || die "FUZZ_SECONDS must be a positive integer, got '$seconds'"

unit_tests=0
if [[ "${1:-}" == "--unit-tests" ]]; then
  unit_tests=1
  shift
fi

# The targets: one per fuzz/<name>.cpp that defines LLVMFuzzerTestOneInput.
mapfile -t all_targets < <(grep -l LLVMFuzzerTestOneInput fuzz/*.cpp | xargs -n1 basename | sed 's/\.cpp$//' | sort)
targets=()
if [[ $unit_tests -eq 0 ]]; then
  targets=("$@")
  [[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")
  for t in "${targets[@]}"; do
    [[ -f "fuzz/$t.cpp" ]] || die "no fuzz target '$t' (have: ${all_targets[*]})"
  done
fi

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER="$cxx" -DEDGETIER_FUZZ=ON \
    -DEDGETIER_BUILD_TESTS=OFF -DEDGETIER_BUILD_BENCH=OFF ${EDGETIER_ORT_ROOT:+-DEDGETIER_ORT_ROOT="$EDGETIER_ORT_ROOT"}
fi
# ONNX Runtime keeps a few allocations past exit (fuzz/lsan.supp names only its frames).
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/fuzz/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
start=$(date +%s)
if [[ $unit_tests -eq 1 ]]; then
  cmake --build "$build" -j "$jobs" --target edgetier_sanitizer_tests
  printf 'fuzz: built the sanitizer unit tests in %d s\n' "$(( $(date +%s) - start ))"
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
  rc=0
  # The peak-memory test starts the edgetier program, which this build does not make.
  "$build/fuzz/edgetier_sanitizer_tests" --gtest_brief=1 \
    --gtest_filter="${1:--Calibrate.PeakMemoryDoesNotGrowWithSampleCount}" || rc=$?
  [[ $rc -eq 0 ]] || die "sanitizer unit tests failed (exit $rc)"
  printf 'fuzz: sanitizer unit tests passed in %d s (build included)\n' "$(( $(date +%s) - start ))"
  exit 0
fi
cmake --build "$build" -j "$jobs" --target $(printf 'fuzz_%s ' "${targets[@]}")
printf 'fuzz: built %d targets in %d s\n' "${#targets[@]}" "$(( $(date +%s) - start ))"

work="$build/fuzz-run"
artifacts="$build/fuzz-artifacts"
failed=()
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=0}"
for t in "${targets[@]}"; do
  corpus="$work/$t"
  rm -rf "$corpus" "$artifacts/$t"
  mkdir -p "$corpus" "$artifacts/$t"
  [[ -d "fuzz/corpus/$t" ]] && cp -r "fuzz/corpus/$t/." "$corpus/"
  args=(-max_total_time="$seconds" -timeout=2 -rss_limit_mb=2048 -malloc_limit_mb=2048
        -print_final_stats=1 -artifact_prefix="$artifacts/$t/")
  [[ -f "fuzz/$t.dict" ]] && args+=(-dict="fuzz/$t.dict")
  log="$artifacts/$t/fuzz.log"
  rc=0
  "$build/fuzz/fuzz_$t" "${args[@]}" "$corpus" >"$log" 2>&1 || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -n1 | grep -o '[0-9]*$' || true)
  done_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n1 || true)
  cov=$(grep -o 'cov: [0-9]*' <<<"$done_line" | grep -o '[0-9]*' || true)
  ft=$(grep -o 'ft: [0-9]*' <<<"$done_line" | grep -o '[0-9]*' || true)
  corp=$(grep -o 'corp: [0-9]*' <<<"$done_line" | grep -o '[0-9]*' || true)
  status=ok
  if [[ $rc -ne 0 ]]; then
    status="FAILED (exit $rc; log $log)"
    failed+=("$t")
  fi
  printf 'fuzz: %-14s %3ss  execs %9s  cov %6s  ft %6s  corpus %5s  %s\n' \
    "$t" "$seconds" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$status"
  if [[ $rc -ne 0 ]]; then
    grep -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|Test unit written' "$log" | head -n 5 | sed 's/^/fuzz:   /'
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  die "${#failed[@]} target(s) found a problem: ${failed[*]} (inputs under $artifacts/<target>/)"
fi
printf 'fuzz: %d targets, %d s each, no finding\n' "${#targets[@]}" "$seconds"
