package recordfile

import (
	"fmt"
	"io/fs"
	"os"
	"runtime"
)

// ModeError reports a record file, or its directory, that group or others
// can write: any local user could change or remove its records.
type ModeError struct {
	Path string
	Mode fs.FileMode
}

func (e *ModeError) Error() string {
	return fmt.Sprintf("%s: mode %04o lets group or others write it; run chmod go-w %s", e.Path, e.Mode.Perm(), e.Path)
}

// CheckMode returns a *[ModeError] if st, the file or directory at path,
// can be written by group or others. Outside Unix, where modes do not say
// who can write, it returns nil.
func CheckMode(path string, st fs.FileInfo) error {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		return nil
	}
	if st.Mode().Perm()&0o022 != 0 {
		return &ModeError{Path: path, Mode: st.Mode()}
	}
	return nil
}

// CheckPath is [CheckMode] of the file or directory at path.
func CheckPath(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	return CheckMode(path, st)
}
