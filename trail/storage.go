package trail

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/transparency-dev/tessera"
)

// Storage is where a trail keeps its log and its origins' state.
type Storage struct {
	Driver  tessera.Driver
	Origins OriginStore
	// MinCheckpointInterval is the shortest checkpoint interval the driver allows
	// (POSIX 100ms, AWS 1s).
	MinCheckpointInterval time.Duration
	Close                 func() error // closes Origins and anything else opened
}

// storageSchemes maps the scheme of a storage spec to its opener.
var storageSchemes = map[string]func(ctx context.Context, rest string) (*Storage, error){}

// OpenStorage opens the storage spec names: SCHEME:REST.
func OpenStorage(ctx context.Context, spec string) (*Storage, error) {
	scheme, rest, ok := strings.Cut(spec, ":")
	open := storageSchemes[scheme]
	if !ok || open == nil {
		return nil, fmt.Errorf("trail storage %q: give posix:DIR or aws:bucket=B;endpoint=URL;region=R?dsn-source=env:NAME|file:PATH", spec)
	}
	return open(ctx, rest)
}
