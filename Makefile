# The two commands a newcomer needs: `make demo` and `make test`.
# Each installs what is missing (Debian packages only), builds, then runs.
BUILD      ?= build
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 300
CMAKE_FLAGS ?=

.PHONY: all deps build web demo test bench bench-http fuzz fuzz-smoke clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja web
	cmake --build $(BUILD) -j $(JOBS)

# The dashboard (web/, served by `orderguard serve` at /): npm ci only when node_modules is
# missing or package-lock.json changed, then a Vite build into web/dist when a source changed.
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json
web/node_modules/.og-installed: web/package-lock.json web/package.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@
web/dist/index.html: web/node_modules/.og-installed $(WEB_SOURCES)
	cd web && npm run --silent build
web: deps web/dist/index.html

demo: build
	scripts/demo

test: build fuzz-smoke
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

bench: build
	$(BUILD)/bench/orderguard_bench

# HTTP ingest and event-to-incident latency of `orderguard serve`, from `orderguard loadgen`.
bench-http: build
	scripts/bench-http

$(FUZZ_BUILD)/build.ninja:
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DORDERGUARD_FUZZ=ON

# A short, bounded fuzz run of every fuzz target: part of `make test`.
fuzz-smoke: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets
	scripts/run-fuzz $(FUZZ_BUILD) 20

fuzz: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets
	scripts/run-fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)
