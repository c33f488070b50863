package provider

import (
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/tinywindow/tinywindow/internal/regularfile"
)

// MaxSecretSize bounds the size of a secret read from a source.
const MaxSecretSize = 64 << 10

// ReadSecret reads the secret named by a source:
//
//	env:NAME    the value of environment variable NAME
//	file:PATH   the contents of the file at PATH, which must be a regular file
//	            (a named pipe, a device or a directory is refused at once)
//	            not readable or writable by group or others (chmod 600)
//
// Secrets are never given in clear in a URI or a configuration file; a source
// says where to find them. The caller should zero the returned slice when done.
func ReadSecret(source string) ([]byte, error) {
	kind, name, ok := strings.Cut(source, ":")
	if !ok || name == "" || (kind != "env" && kind != "file") {
		// The source is not quoted: a secret pasted in its place must not
		// reach a log.
		return nil, fmt.Errorf("%w: a secret source must be env:NAME or file:PATH (the value given is not shown, in case it is itself a secret)", ErrInvalidConfig)
	}
	if kind == "file" {
		return readSecretFile(name)
	}
	v, ok := os.LookupEnv(name)
	if !ok {
		return nil, fmt.Errorf("%w: secret source %q: environment variable %q is not set", ErrInvalidConfig, source, name)
	}
	if v == "" {
		return nil, fmt.Errorf("%w: secret source %q: environment variable %q is empty", ErrInvalidConfig, source, name)
	}
	return []byte(v), nil
}

func readSecretFile(path string) ([]byte, error) {
	src := "file:" + path
	f, st, err := regularfile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: secret source %q: %w", ErrInvalidConfig, src, err)
	}
	defer f.Close()
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: secret source %q: mode %04o lets group or others read or write it; run chmod 600 on it",
			ErrInvalidConfig, src, perm)
	}
	b, err := regularfile.ReadLimited(f, st.Size(), MaxSecretSize)
	if err != nil {
		return nil, fmt.Errorf("%w: secret source %q: %w (the limit for a secret)", ErrInvalidConfig, src, err)
	}
	return b, nil
}

// ReadHexSecret reads a secret from a source (see ReadSecret) holding hex
// text, ignoring surrounding white space, and returns the decoded bytes. If
// wantLen is positive the decoded secret must be exactly that long; if it is
// negative, at least -wantLen bytes long.
func ReadHexSecret(source string, wantLen int) ([]byte, error) {
	raw, err := ReadSecret(source)
	if err != nil {
		return nil, err
	}
	defer Zero(raw)
	text := strings.TrimSpace(string(raw))
	if text == "" {
		return nil, fmt.Errorf("%w: secret source %q is empty; it must hold hex text", ErrInvalidConfig, source)
	}
	if len(text)%2 != 0 {
		return nil, fmt.Errorf("%w: secret source %q: odd number of hex digits (%d); it must hold hex text, two digits a byte", ErrInvalidConfig, source, len(text))
	}
	out := make([]byte, len(text)/2)
	if _, err := hex.Decode(out, []byte(text)); err != nil {
		Zero(out)
		return nil, fmt.Errorf("%w: secret source %q does not hold hex text: %v", ErrInvalidConfig, source, hexErr(err))
	}
	switch {
	case wantLen > 0 && len(out) != wantLen:
		Zero(out)
		return nil, fmt.Errorf("%w: secret source %q holds %d bytes, want exactly %d (%d hex digits)", ErrInvalidConfig, source, len(out), wantLen, 2*wantLen)
	case wantLen < 0 && len(out) < -wantLen:
		Zero(out)
		return nil, fmt.Errorf("%w: secret source %q holds %d bytes, want at least %d (%d hex digits)", ErrInvalidConfig, source, len(out), -wantLen, -2*wantLen)
	}
	return out, nil
}

// hexErr describes a hex decoding error without quoting the secret's bytes.
func hexErr(err error) string {
	if _, ok := err.(hex.InvalidByteError); ok {
		return "a character is not a hex digit"
	}
	return "malformed hex"
}

// Zero overwrites b with zeros. Go cannot promise that no copy of a secret
// remains elsewhere in memory, but zeroing the buffers we own shortens the
// time a secret stays readable.
func Zero(b []byte) {
	clear(b)
}
