package conformance

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
)

// binarySHA256 returns the SHA-256, in lowercase hex, of the executable file
// of the running program. On Linux it reads /proc/self/exe, the file the
// process was started from even if its path has since been replaced or
// removed; elsewhere the file at os.Executable's path.
func binarySHA256() (string, error) {
	path := "/proc/self/exe"
	if runtime.GOOS != "linux" {
		p, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("finding the executable: %w", err)
		}
		path = p
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading the executable: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading the executable %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
