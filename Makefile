# A thin wrapper over CMake and the scripts: the real build is CMakeLists.txt.
BUILD ?= build
JOBS  ?= $(shell nproc)

.PHONY: all phase1 phase2 phase3 phase4 phase5 test demo clean

all: $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

$(BUILD)/Makefile:
	cmake -S . -B $(BUILD)

phase1 phase2 phase3 phase4 phase5: $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS) --target rung_$@

# Installs what is missing, builds, and runs every test (needs root).
test:
	scripts/test.sh

# Installs what is missing, builds, and runs a busybox container.
demo:
	scripts/demo.sh

clean:
	rm -rf $(BUILD)
