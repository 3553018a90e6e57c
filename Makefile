# A thin wrapper over CMake and the scripts: the real build is CMakeLists.txt.
# One build directory with one cache for all of them: make, scripts/demo.sh and scripts/test.sh
# all configure $(BUILD) with -DRUNG_WERROR=ON, so none of them rebuilds what another built.
BUILD ?= build
JOBS  ?= $(shell nproc)
ASAN_BUILD ?= build-asan
FUZZ_SECONDS ?= 60

.PHONY: all phase1 phase2 phase3 phase4 phase5 test test-asan fuzz demo bench lab-start lab-check clean

all: $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

$(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DRUNG_WERROR=ON

phase1 phase2 phase3 phase4 phase5: $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS) --target rung_$@

# Installs what is missing, builds, and runs every test (needs root).
test:
	BUILD_DIR=$(abspath $(BUILD)) scripts/test.sh

# The sanitizer tree (build-asan: clang, ASan + UBSan, the fault points, the fuzz targets): every
# unit binary and the OCI suite against every phase, then a short fuzz of each target (needs root).
test-asan:
	ASAN_BUILD_DIR=$(abspath $(ASAN_BUILD)) BUILD_DIR=$(abspath $(BUILD)) scripts/test.sh --asan

# Each libFuzzer target of tests/fuzz for FUZZ_SECONDS on its seed corpus; crashes are kept in
# build-asan/fuzz/found/ (scripts/fuzz.sh).
fuzz:
	ASAN_BUILD_DIR=$(abspath $(ASAN_BUILD)) scripts/build-asan.sh fuzz_all
	ASAN_BUILD_DIR=$(abspath $(ASAN_BUILD)) scripts/fuzz.sh $(FUZZ_SECONDS)

# Installs what is missing, builds, and takes a busybox container through its lifecycle.
demo:
	BUILD_DIR=$(abspath $(BUILD)) scripts/demo.sh

# rung against runc, crun and the kernel's floor, in one run (needs root): docs/benchmarks.md.
bench:
	scripts/bench.sh

# The labs (docs/labs/): lab-start turns phaseN-*/ into your starting point for lab N; lab-check
# builds your phase N and runs the lab's tests against it, printing what still fails with a hint
# (needs root). ALL=1 runs the whole OCI suite as phase N.
lab-start:
	scripts/lab-start.sh $(PHASE)

lab-check: $(BUILD)/Makefile
	@test -n "$(PHASE)" || { echo "usage: make lab-check PHASE=N [ALL=1]" >&2; exit 2; }
	cmake --build $(BUILD) -j $(JOBS) --target rung_phase$(PHASE)
	BUILD_DIR=$(abspath $(BUILD)) scripts/lab-check.sh $(PHASE) $(if $(ALL),--all)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
