//go:build unix

package venue

import (
	"os"
	"syscall"
)

// lockDir takes an exclusive lock on the file at path (created if needed),
// held until the returned file is closed; it fails at once if another
// process holds it.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
