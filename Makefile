# edgetier: the README's commands. `make demo` and `make test` set everything up themselves.
BUILD_DIR ?= build
ASAN_BUILD_DIR ?= build-asan
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
ifneq ($(EDGETIER_ORT_ROOT),)
CMAKE_FLAGS += -DEDGETIER_ORT_ROOT=$(EDGETIER_ORT_ROOT)
endif

.PHONY: all deps test-deps build build-cli test test-asan test-sanitize fuzz demo bench format clean

all: build

deps:
	bash scripts/setup-deps.sh

test-deps:
	EDGETIER_WITH_TEST_DEPS=1 bash scripts/setup-deps.sh

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) $(GENERATOR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The demo needs only the CLI: building the tests and benchmarks too would add minutes.
build-cli: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS) --target edgetier

test: test-deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)
	cd $(BUILD_DIR) && ctest --output-on-failure -j 1

test-asan: test-deps
	cmake -S . -B $(ASAN_BUILD_DIR) $(GENERATOR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGETIER_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD_DIR) -j $(JOBS)
	cd $(ASAN_BUILD_DIR) && ASAN_OPTIONS=detect_leaks=0 ctest --output-on-failure -j 1

# The unit tests of the input readers (models, manifests, YAML, calibration, CSV, npy, images,
# KServe requests) in the fuzz build (clang, ASan + UBSan): cheaper than test-asan's second tree.
test-sanitize: test-deps
	FUZZ_BUILD_DIR=$(FUZZ_BUILD_DIR) JOBS=$(JOBS) bash scripts/fuzz.sh --unit-tests

# libFuzzer targets (clang, ASan + UBSan), FUZZ_SECONDS each on fuzz/corpus/<target>; fails on
# any crash, leak, timeout or out-of-memory (scripts/fuzz.sh).
fuzz: test-deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_BUILD_DIR=$(FUZZ_BUILD_DIR) JOBS=$(JOBS) bash scripts/fuzz.sh

demo: build-cli
	./$(BUILD_DIR)/edgetier run

bench: build
	@for b in $(BUILD_DIR)/bench_*; do echo "== $$b"; $$b || exit 1; done

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR) $(FUZZ_BUILD_DIR)
