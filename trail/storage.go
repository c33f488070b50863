package trail

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/transparency-dev/tessera"

	"github.com/tinywindow/tinywindow/provider"
)

// Storage is where a trail keeps its log and its per-origin state: a
// Tessera driver for the log's tiles and entry bundles, and an
// [OriginStore] for the last checkpoint accepted for each origin and the
// evidence of those refused.
type Storage struct {
	Driver  tessera.Driver
	Origins OriginStore
	// MinCheckpointInterval is the shortest checkpoint interval the driver
	// allows (POSIX 100ms, AWS 1s).
	MinCheckpointInterval time.Duration
	// Close closes Origins and anything else opened.
	Close func() error
}

// storageSchemes maps the scheme of a storage spec (the part before the
// first ':') to the function that opens the rest of it.
var storageSchemes = map[string]func(ctx context.Context, rest string) (*Storage, error){"posix": openPOSIX}

// OpenStorage opens the storage spec names: "posix:DIR" for Tessera's POSIX
// driver on the directory DIR (made if missing), with the origin state and
// the evidence in DIR/.trail/; "aws:…" where the AWS driver is linked in. An
// unknown scheme or a malformed spec gives an error matching
// provider.ErrInvalidConfig.
func OpenStorage(ctx context.Context, spec string) (*Storage, error) {
	scheme, rest, ok := strings.Cut(spec, ":")
	open, known := storageSchemes[scheme]
	if !ok || !known {
		schemes := make([]string, 0, len(storageSchemes))
		for s := range storageSchemes {
			schemes = append(schemes, s+":…")
		}
		slices.Sort(schemes)
		return nil, fmt.Errorf("%w: trail storage %q: write one of %s", provider.ErrInvalidConfig, spec, strings.Join(schemes, ", "))
	}
	return open(ctx, rest)
}
