package composite_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/composite"
)

// TestPubSource: a venue opens a verify-only composite key from the PEM the
// signer exported, and verifies the signer's signatures; malformed sources
// are refused.
func TestPubSource(t *testing.T) {
	ctx := t.Context()
	alg := composite.MLDSA65ECDSAP384SHA512
	k, err := openComposite(ctx, softURI(t, alg, 61))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	pemBytes, _ := k.PublicKeyPEM()
	dir := t.TempDir()
	path := filepath.Join(dir, "orders.pub.pem")
	if err := os.WriteFile(path, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	// A named pipe nobody writes to is refused at once, not waited on.
	fifo := filepath.Join(dir, "fifo.pem")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := provider.Open(ctx, "composite:pub-source=file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if v.Info() != k.Info() {
		t.Fatalf("verifier %+v, signer %+v", v.Info(), k.Info())
	}
	sig, _ := k.Sign(ctx, []byte("m"))
	if err := v.Verify(ctx, []byte("m"), sig); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TW_COMPOSITE_PUB", string(pemBytes))
	if _, err := provider.Open(ctx, "composite:alg="+string(alg)+";pub-source=env:TW_COMPOSITE_PUB"); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), 0o644)
	for _, tc := range []struct{ uri, says string }{
		{"composite:alg=MLDSA44-Ed25519-SHA512;pub-source=file:" + path, "drop alg="},
		{"composite:pub-source=file:" + dir, "not a regular file"},
		{"composite:pub-source=file:" + garbage, "SubjectPublicKeyInfo"},
		{"composite:pub-source=file:" + filepath.Join(dir, "missing"), "no such file"},
		{"composite:pub-source=env:TW_COMPOSITE_UNSET", "not set"},
		{"composite:pub-source=" + path, "write env:NAME or file:PATH"},
		{"composite:pub-source=http:" + path, "write env:NAME or file:PATH"},
		{"composite:pub-source=file:" + fifo, "named pipe"},
		{"composite:pub-source=file:" + path + ";trad=x", "pub-source= and trad="},
	} {
		_, err := provider.Open(ctx, tc.uri)
		if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("Open(%s) = %v, want ErrInvalidConfig saying %q", tc.uri, err, tc.says)
		}
	}
}
