# make test: every check CI runs (installs what the tests need first).
# make build: the tinywindow binary in bin/.
# make wheel: the Python binary wheel (manylinux-tagged) in dist/; needs Go
# and a C compiler to build, nothing but Python to install.
# make bench: the latency benchmarks (each path against its raw baseline,
# measured order by order in the same run, five times), then every other
# benchmark once. The PKCS#11 one needs SoftHSM2 (scripts/setup.d, as make
# test installs it); see docs/execadapter.md for reading the ratios.
.PHONY: test build wheel bench bench-latency

test:
	bash scripts/test.sh

# The build records its commit for conformance reports even where the Go
# toolchain stamps no VCS information (GOFLAGS=-buildvcs=false).
REVISION := $(shell git rev-parse HEAD 2>/dev/null)
MODIFIED := $(shell git diff --quiet HEAD 2>/dev/null || echo true)
LDFLAGS := -X github.com/tinywindow/tinywindow/conformance.revision=$(REVISION) \
	-X github.com/tinywindow/tinywindow/conformance.modified=$(MODIFIED)

build:
	go build -ldflags "$(LDFLAGS)" -o bin/tinywindow ./cmd/tinywindow

PYTHON ?= python3
DIST ?= dist

wheel:
	$(PYTHON) -m pip wheel --no-index --no-deps --disable-pip-version-check -w $(DIST) ./python

bench: bench-latency
	go test -run '^$$' -skip '^Benchmark(TCPPaired|OrderPaired|AuditPaired|AdapterPaired|BatchPaired|RemotePaired|RemoteConcurrent)$$' -bench . -benchmem github.com/tinywindow/tinywindow/...

bench-latency:
	go test -run '^$$' -bench '^BenchmarkTCPPaired$$' -benchtime 20000x -count 5 ./execadapter/venue/
	go test -run '^$$' -bench '^BenchmarkTwoProcess$$' -benchtime 20x ./cmd/tinywindow/
	go test -run '^$$' -bench '^BenchmarkOrderPaired$$' -benchtime 100000x -count 5 ./execadapter/
	go test -run '^$$' -bench '^BenchmarkAuditPaired$$' -benchtime 200000x -count 5 ./execadapter/
	go test -run '^$$' -bench '^BenchmarkAdapterPaired$$' -benchtime 20000x -count 5 ./providers/pkcs11/
	go test -run '^$$' -bench '^BenchmarkAdapterPaired$$' -benchtime 2000x -count 5 ./providers/pqc/
	go test -run '^$$' -bench '^BenchmarkBatchPaired$$' -benchtime 10x ./execadapter/ ./providers/pqc/ ./providers/pkcs11/
	go test -run '^$$' -bench '^BenchmarkBatchPaired$$' -benchtime 6x ./providers/awskms/
	go test -run '^$$' -bench '^BenchmarkRemotePaired$$' -benchtime 20000x -count 5 ./providers/remote/integration/
	go test -run '^$$' -bench '^BenchmarkRemoteConcurrent$$' -benchtime 40000x -count 5 ./providers/remote/integration/
