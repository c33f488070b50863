//go:build !unix

package venue

import "os"

// lockDir opens the lock file at path. Outside Unix it takes no lock: one
// venue per state directory is the operator's to ensure.
func lockDir(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}
