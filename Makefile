# soilbeta — the two commands a newcomer needs are `make demo` and `make test`.
SWIFT ?= swift
JOBS ?= 2

.PHONY: all build release test demo bench deps clean

all: build

deps:
	@scripts/ensure-deps.sh build

build: deps
	$(SWIFT) build -j $(JOBS)

# Builds every product: soilbeta and the benchmark tool soilbeta-bench.
release: deps
	$(SWIFT) build -c release -j $(JOBS)
	@test -x .build/release/soilbeta-bench || { echo "release: soilbeta-bench was not built" >&2; exit 1; }

test:
	python3 scripts/check-architecture.py
	@scripts/ensure-deps.sh test
	$(SWIFT) build --build-tests -j $(JOBS)
	$(SWIFT) test --skip-build

demo: release
	@scripts/demo.sh

bench: release
	@scripts/ensure-deps.sh bench
	@scripts/bench.sh

clean:
	rm -rf .build demo-run bench-out
