# Entry points: `make demo` runs the main job, `make test` runs every test, `make fuzz` fuzzes the
# file readers (fuzz/README.md). Each sets up (scripts/setup) and builds on first use.
# `make chroot-cpu` / `make chroot-cuda` build and test against Debian 13's LibTorch 2.6, CPU or
# CUDA, in cached chroots (scripts/chroot-build; root).
BUILD ?= build
JOBS ?= $(shell nproc)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all setup build demo test fuzz chroot-cpu chroot-cuda bench format tidy clean

all: build

$(BUILD)/.setup-done: scripts/setup
	$(SUDO) scripts/setup
	@mkdir -p $(BUILD) && touch $@

# CMAKE_FLAGS: extra configure flags, e.g. -DEDEN_WERROR=ON (CI).
$(BUILD)/build.ninja: $(BUILD)/.setup-done CMakeLists.txt
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

setup: $(BUILD)/.setup-done

demo: build
	$(BUILD)/eden run

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

# Its own build (clang, ASan + UBSan, torch-free) in build-fuzz/; FUZZ_SECONDS per target.
fuzz: $(BUILD)/.setup-done
	scripts/fuzz

chroot-cpu:
	$(SUDO) scripts/chroot-build cpu

chroot-cuda:
	$(SUDO) scripts/chroot-build cuda

bench: build
	bench/train_throughput.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

tidy: build
	clang-tidy -p $(BUILD) $$(git ls-files 'src/*.cpp')

clean:
	rm -rf $(BUILD)
