# make test: every check CI runs (installs what the tests need first).
# make build: the tinywindow binary in bin/.
.PHONY: test build bench

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

bench:
	go test -run '^$$' -bench . -benchmem github.com/tinywindow/tinywindow/...
