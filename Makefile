# make test: every check CI runs (installs what the tests need first).
# make build: the tinywindow binary in bin/.
# make bench: the latency benchmarks (each path against its raw baseline,
# measured order by order in the same run, five times), then every other
# benchmark once. The PKCS#11 one needs SoftHSM2 (scripts/setup.d, as make
# test installs it); see docs/execadapter.md for reading the ratios.
.PHONY: test build bench bench-latency

test:
	bash scripts/test.sh

build:
	go build -o bin/tinywindow ./cmd/tinywindow

bench: bench-latency
	go test -run '^$$' -skip '^Benchmark(TCPPaired|OrderPaired|AdapterPaired)$$' -bench . -benchmem github.com/tinywindow/tinywindow/...

bench-latency:
	go test -run '^$$' -bench '^BenchmarkTCPPaired$$' -benchtime 20000x -count 5 ./execadapter/venue/
	go test -run '^$$' -bench '^BenchmarkOrderPaired$$' -benchtime 100000x -count 5 ./execadapter/
	go test -run '^$$' -bench '^BenchmarkAdapterPaired$$' -benchtime 20000x -count 5 ./providers/pkcs11/
	go test -run '^$$' -bench '^BenchmarkAdapterPaired$$' -benchtime 2000x -count 5 ./providers/pqc/
