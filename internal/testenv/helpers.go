package testenv

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
)

// Hex returns the bytes that the hexadecimal s spells, and fails the test
// if s is not hexadecimal.
func Hex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in test data: %v", err)
	}
	return b
}

// MustOpen opens the key that uri names with [provider.Open], fails the test
// if it cannot, and closes the key when the test ends.
func MustOpen(t testing.TB, uri string) provider.Key {
	t.Helper()
	k, err := provider.Open(t.Context(), uri)
	if err != nil {
		t.Fatalf("Open(%s): %v", uri, err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

// NotInvalid fails the test unless err is of kind want and is not
// [provider.ErrInvalidSignature]: an outage must never read as a forgery.
// what names the call, as in "Verify during the outage".
func NotInvalid(t testing.TB, what string, err, want error) {
	t.Helper()
	if err == nil || !errors.Is(err, want) || errors.Is(err, provider.ErrInvalidSignature) {
		t.Errorf("%s = %v; want %v and not ErrInvalidSignature", what, err, want)
	}
}
