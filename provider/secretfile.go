package provider

import (
	"fmt"
	"os"

	"github.com/tinywindow/tinywindow/internal/printable"
)

// WriteSecretFile writes data to a new file at path, created with mode 0600,
// and syncs it to disk. An existing file is never overwritten: keygen must not
// destroy a key. On any failure after the file was created it is removed, so
// that no truncated key file is left behind. The error names path but never
// quotes data.
func WriteSecretFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("%w: creating key file %q: %w (the file must not exist yet; keygen never overwrites one)", ErrInvalidConfig, path, printable.Error(err))
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("writing key file %q: %w", path, printable.Error(err))
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("writing key file %q: %w", path, printable.Error(err))
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("writing key file %q: %w", path, printable.Error(err))
	}
	return nil
}
