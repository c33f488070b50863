package testenv_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/hmac"
)

// recorder is a real *testing.T that notes, instead of reporting, whether a
// helper failed or skipped the test.
type recorder struct {
	*testing.T
	failed, skipped bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true; runtime.Goexit() }
func (r *recorder) Skip(...any)           { r.skipped = true; runtime.Goexit() }

// run calls f with a recorder on a goroutine of its own, so that Fatalf and
// Skip can end it as they end a test.
func run(t *testing.T, f func(testing.TB)) *recorder {
	r := &recorder{T: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func TestNotInvalid(t *testing.T) {
	for _, tc := range []struct {
		name      string
		err, want error
		fails     bool
	}{
		{"the kind wanted", fmt.Errorf("gcpkms Sign: %w", provider.ErrUnavailable), provider.ErrUnavailable, false},
		{"no error", nil, provider.ErrUnavailable, true},
		{"another kind", provider.ErrInvalidConfig, provider.ErrUnavailable, true},
		{"the kind wanted, but invalid too", errors.Join(provider.ErrUnavailable, provider.ErrInvalidSignature), provider.ErrUnavailable, true},
	} {
		r := run(t, func(tb testing.TB) { testenv.NotInvalid(tb, "Verify", tc.err, tc.want) })
		if r.failed != tc.fails {
			t.Errorf("%s: failed = %v, want %v", tc.name, r.failed, tc.fails)
		}
	}
}

func TestHex(t *testing.T) {
	for _, tc := range []struct {
		in    string
		want  []byte
		fails bool
	}{{"00ff7f", []byte{0, 0xff, 0x7f}, false}, {"", []byte{}, false}, {"0g", nil, true}, {"abc", nil, true}} {
		var got []byte
		r := run(t, func(tb testing.TB) { got = testenv.Hex(tb, tc.in) })
		if r.failed != tc.fails || !tc.fails && !slices.Equal(got, tc.want) {
			t.Errorf("Hex(%q) = %x, failed = %v; want %x, failed = %v", tc.in, got, r.failed, tc.want, tc.fails)
		}
	}
}

func TestMustOpen(t *testing.T) {
	for _, tc := range []struct {
		uri   string
		fails bool
	}{{"hmac:seed=42", false}, {"nosuchscheme:x", true}} {
		var k provider.Key
		r := run(t, func(tb testing.TB) { k = testenv.MustOpen(tb, tc.uri) })
		if r.failed != tc.fails || !tc.fails && k == nil {
			t.Errorf("MustOpen(%q) = %v, failed = %v; want failed = %v", tc.uri, k, r.failed, tc.fails)
		}
	}
}

// TestSkipAllocations checks that SkipAllocations skips exactly in a build
// with the race detector, as the build information records it.
func TestSkipAllocations(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("no build information in the test binary")
	}
	race := slices.ContainsFunc(bi.Settings, func(s debug.BuildSetting) bool {
		return (s.Key == "-race" || s.Key == "-asan" || s.Key == "-msan") && s.Value == "true"
	})
	r := run(t, func(tb testing.TB) { testenv.SkipAllocations(tb) })
	if r.skipped != race {
		t.Errorf("skipped = %v in a build with race detector or sanitiser = %v", r.skipped, race)
	}
}

func TestEd25519KeyFile(t *testing.T) {
	dir := t.TempDir()
	p := testenv.Ed25519KeyFile(t, dir, "k.pem")
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v, mode %v; want a file of mode 0600", p, err, st.Mode())
	}
	b, _ := os.ReadFile(p)
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("%s holds no PRIVATE KEY block", p)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if _, ok := k.(ed25519.PrivateKey); err != nil || !ok {
		t.Fatalf("the key is %T (%v), want Ed25519", k, err)
	}
	if q := testenv.Ed25519KeyFile(t, dir, "k2.pem"); bytes.Equal(mustRead(t, q), b) {
		t.Fatal("two calls wrote the same key")
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
