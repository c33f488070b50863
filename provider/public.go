package provider

import (
	"fmt"
	"os"
	"strings"

	"github.com/tinywindow/tinywindow/internal/printable"
	"github.com/tinywindow/tinywindow/internal/regularfile"
)

// ReadPublic reads public material (a PEM public key or certificate) named by
// a source:
//
//	env:NAME    the value of environment variable NAME
//	file:PATH   the contents of the file at PATH, which anyone may read
//
// Unlike ReadSecret, the file's mode is not checked and the source is quoted
// in errors. More than limit bytes is an error.
func ReadPublic(source string, limit int) ([]byte, error) {
	kind, name, ok := strings.Cut(source, ":")
	if !ok || name == "" || (kind != "env" && kind != "file") {
		return nil, fmt.Errorf("%w: public source %q: write env:NAME or file:PATH", ErrInvalidConfig, source)
	}
	if kind == "env" {
		v, ok := os.LookupEnv(name)
		if !ok || v == "" {
			return nil, fmt.Errorf("%w: public source env:%q: environment variable %q is not set or empty", ErrInvalidConfig, name, name)
		}
		if len(v) > limit {
			return nil, fmt.Errorf("%w: public source env:%q is larger than the %d-byte limit", ErrInvalidConfig, name, limit)
		}
		return []byte(v), nil
	}
	data, err := regularfile.ReadFile(name, int64(limit))
	if err != nil {
		return nil, fmt.Errorf("%w: public source file:%q: %w", ErrInvalidConfig, name, printable.Error(err))
	}
	return data, nil
}
