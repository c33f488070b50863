package trail

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/transparency-dev/tessera/storage/posix"

	"github.com/tinywindow/tinywindow/provider"
)

// stateDir is the directory, inside a POSIX trail's directory, of the
// origin state and the evidence. The trail never serves it (nor Tessera's
// own .state): its HTTP handler reads the log through Tessera's LogReader.
const stateDir = ".trail"

// openPOSIX opens "posix:DIR": Tessera's POSIX driver on DIR and a
// directory OriginStore in DIR/.trail/.
func openPOSIX(ctx context.Context, dir string) (*Storage, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: trail storage posix: no directory; write posix:DIR", provider.ErrInvalidConfig)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("trail storage %s: %w", dir, err)
	}
	d, err := posix.New(ctx, posix.Config{Path: dir})
	if err != nil {
		return nil, fmt.Errorf("trail storage %s: %w", dir, err)
	}
	origins, err := openDirOrigins(filepath.Join(dir, stateDir))
	if err != nil {
		return nil, err
	}
	return &Storage{
		Driver:                d,
		Origins:               origins,
		MinCheckpointInterval: 100 * time.Millisecond,
		Close:                 origins.Close,
	}, nil
}
