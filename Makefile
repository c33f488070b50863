# make test: every check CI runs (installs what the tests need first).
# make build: the tinywindow binary in bin/.
.PHONY: test build bench

test:
	bash scripts/test.sh

build:
	go build -o bin/tinywindow ./cmd/tinywindow

bench:
	go test -run '^$$' -bench . -benchmem github.com/tinywindow/tinywindow/...
