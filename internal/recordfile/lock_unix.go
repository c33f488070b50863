//go:build unix

package recordfile

import (
	"os"
	"syscall"
)

// errLocked is flock's error when another open file holds the lock.
var errLocked = syscall.EWOULDBLOCK

// flock takes an exclusive lock on f, held until f is closed, or fails at
// once with errLocked if another open file holds it.
func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			return err
		}
	}
}
