package provider

import (
	"fmt"
	"io"
	"os"
	"strings"
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
			return nil, fmt.Errorf("%w: public source env:%s: environment variable %s is not set or empty", ErrInvalidConfig, name, name)
		}
		if len(v) > limit {
			return nil, fmt.Errorf("%w: public source env:%s is larger than the %d-byte limit", ErrInvalidConfig, name, limit)
		}
		return []byte(v), nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%w: public source file:%s: %w", ErrInvalidConfig, name, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return nil, fmt.Errorf("%w: public source file:%s: %w", ErrInvalidConfig, name, err)
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: public source file:%s: not a regular file", ErrInvalidConfig, name)
	}
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: public source file:%s: %w", ErrInvalidConfig, name, err)
	}
	if len(data) > limit {
		return nil, fmt.Errorf("%w: public source file:%s is larger than the %d-byte limit", ErrInvalidConfig, name, limit)
	}
	return data, nil
}
