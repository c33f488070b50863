package hmac_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

const key42 = "7848b5d711bc9883996317a3f9c90269d56771005d540a19184939c9e8d0db2a"

func writeFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpenForms(t *testing.T) {
	t.Setenv("TW_TEST_HMAC_KEY", "  "+key42+"\n")
	file := writeFile(t, key42+"\n", 0o600)
	want := hmac.NewFromSeed(42).Info().ID
	for _, uri := range []string{
		"hmac:seed=42",
		"hmac:seed=0042",
		"hmac:key-source=env:TW_TEST_HMAC_KEY",
		"hmac:key-source=file:" + file,
		"hmac:?key-source=file:" + file,
	} {
		k, err := provider.Open(context.Background(), uri)
		if err != nil {
			t.Errorf("Open(%q): %v", uri, err)
			continue
		}
		if got := k.Info().ID; got != want {
			t.Errorf("Open(%q): key ID %s, want %s (the same key as seed 42)", uri, got, want)
		}
		k.Close()
	}
}

func TestOpenBadInput(t *testing.T) {
	t.Setenv("TW_TEST_SHORT", strings.Repeat("ab", 31))
	t.Setenv("TW_TEST_NOTHEX", strings.Repeat("zz", 32))
	t.Setenv("TW_TEST_ODD", strings.Repeat("a", 63))
	t.Setenv("TW_TEST_EMPTY", "")
	open := writeFile(t, key42, 0o644)
	for _, tc := range []struct{ uri, want string }{
		{"hmac:", "names no key"},
		{"hmac:seed=", "empty seed"},
		{"hmac:seed=-1", "not a decimal integer"},
		{"hmac:seed=+1", "not a decimal integer"},
		{"hmac:seed=0x10", "not a decimal integer"},
		{"hmac:seed=18446744073709551616", "out of range"},
		{"hmac:seed=1;seed=2", "more than once"},
		{"hmac:seed=1;key-source=env:X", "exactly one"},
		{"hmac:seed=1;sead=2", `unknown attribute "sead"`},
		{"hmac:key-source=env:TW_TEST_UNSET_VAR", "is not set"},
		{"hmac:key-source=env:TW_TEST_EMPTY", "is empty"},
		{"hmac:key-source=env:TW_TEST_SHORT", "at least 32"},
		{"hmac:key-source=env:TW_TEST_NOTHEX", "not hold hex"},
		{"hmac:key-source=env:TW_TEST_ODD", "odd number"},
		{"hmac:key-source=file:/nonexistent/key", "no such file"},
		{"hmac:key-source=file:" + open, "chmod 600"},
		{"hmac:key-source=" + key42, "must be env:NAME or file:PATH"},
		{"hmac:key-source=vault:x", "must be env:NAME or file:PATH"},
		{"hmca:seed=1", "unknown scheme"},
		{"seed=1", "no scheme"},
	} {
		_, err := provider.Open(context.Background(), tc.uri)
		if err == nil {
			t.Errorf("Open(%q) succeeded", tc.uri)
			continue
		}
		if !errors.Is(err, provider.ErrInvalidConfig) {
			t.Errorf("Open(%q): %v is not ErrInvalidConfig", tc.uri, err)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q): %q does not say %q", tc.uri, err, tc.want)
		}
		if strings.Contains(err.Error(), key42) || strings.Contains(err.Error(), strings.Repeat("zz", 32)) {
			t.Errorf("Open(%q): error reveals the secret: %v", tc.uri, err)
		}
	}
}

func TestNewRejectsShortKey(t *testing.T) {
	for _, n := range []int{0, 1, 16, 31} {
		if _, err := hmac.New(make([]byte, n)); !errors.Is(err, provider.ErrInvalidConfig) {
			t.Errorf("New(%d bytes): %v, want ErrInvalidConfig", n, err)
		}
	}
	if _, err := hmac.New(make([]byte, 64)); err != nil {
		t.Errorf("New(64 bytes): %v", err)
	}
}

func TestVerifyRejectsWrongLengthTags(t *testing.T) {
	ctx := context.Background()
	k := hmac.NewFromSeed(42)
	msg := []byte("order")
	tag, _ := k.Sign(ctx, msg)
	for _, n := range []int{0, 1, 16, 31, 33, 64} {
		bad := make([]byte, n)
		copy(bad, tag)
		if err := k.Verify(ctx, msg, bad); !errors.Is(err, provider.ErrInvalidSignature) {
			t.Errorf("Verify of a %d-byte tag: %v, want ErrInvalidSignature", n, err)
		}
	}
}

func TestKeyIDRevealsNothing(t *testing.T) {
	id := hmac.NewFromSeed(42).Info().ID
	if strings.Contains(key42, strings.TrimPrefix(id, "hmac-")) {
		t.Fatalf("key ID %s is part of the key", id)
	}
	if id == hmac.NewFromSeed(43).Info().ID {
		t.Fatal("two keys share an ID")
	}
}

func TestSignAppendAllocatesNothing(t *testing.T) {
	testenv.SkipAllocations(t)
	ctx := context.Background()
	k := hmac.NewFromSeed(42)
	msg := make([]byte, 64)
	buf := make([]byte, 0, hmac.TagSize)
	tag, _ := k.Sign(ctx, msg)
	allocs := testing.AllocsPerRun(1000, func() {
		buf, _ = k.SignAppend(ctx, buf[:0], msg)
		_ = k.Verify(ctx, msg, tag)
	})
	if allocs != 0 {
		t.Fatalf("SignAppend+Verify allocate %.1f times per call, want 0", allocs)
	}
}

func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new.key")
	info, err := provider.Generate(context.Background(), "hmac:key-source=file:"+path, provider.GenerateRequest{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %o, want 600", st.Mode().Perm())
	}
	k, err := provider.Open(context.Background(), "hmac:key-source=file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if k.Info().ID != info.ID {
		t.Errorf("generated key ID %s, opened %s", info.ID, k.Info().ID)
	}
	if _, err := provider.Generate(context.Background(), "hmac:key-source=file:"+path, provider.GenerateRequest{}); err == nil {
		t.Error("Generate overwrote an existing key file")
	}
	// Importing the MVP's key gives the seed key.
	t.Setenv("TW_TEST_IMPORT", key42)
	imported := filepath.Join(dir, "imported.key")
	info, err = provider.Generate(context.Background(), "hmac:key-source=file:"+imported, provider.GenerateRequest{Import: "env:TW_TEST_IMPORT"})
	if err != nil {
		t.Fatal(err)
	}
	if info.ID != hmac.NewFromSeed(42).Info().ID {
		t.Errorf("imported key ID %s, want the seed-42 key's", info.ID)
	}
	if _, err := provider.Generate(context.Background(), "hmac:seed=1", provider.GenerateRequest{}); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("Generate for a seed key: %v, want ErrInvalidConfig", err)
	}
}

// TestCloseWhileSigning checks that a tag is never returned once Close has
// zeroed the key: every successful Sign during a Close is the real tag.
func TestCloseWhileSigning(t *testing.T) {
	ctx := context.Background()
	msg := []byte("order")
	want, _ := hmac.NewFromSeed(42).Sign(ctx, msg)
	for range 50 {
		k := hmac.NewFromSeed(42)
		done := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-done:
						return
					default:
					}
					tag, err := k.Sign(ctx, msg)
					if err == nil && !bytes.Equal(tag, want) {
						t.Error("Sign during Close returned a tag made with another key")
						return
					}
					if err != nil && !errors.Is(err, provider.ErrClosed) {
						t.Errorf("Sign during Close: %v", err)
						return
					}
				}
			})
		}
		k.Close()
		close(done)
		wg.Wait()
	}
}
