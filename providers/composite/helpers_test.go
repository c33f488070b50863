package composite_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/composite"
	"github.com/tinywindow/tinywindow/providers/composite/internal/memkey"
)

func init() { memkey.Register() }

// cleanups run after every test of the package: they stop the real parts
// (local-kms) and remove the SoftHSM2 token directory that tests set up.
var (
	cleanupMu sync.Mutex
	cleanups  []func()
)

func atExit(f func()) {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	cleanups = append(cleanups, f)
}

func TestMain(m *testing.M) {
	code := m.Run()
	cleanupMu.Lock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanupMu.Unlock()
	os.Exit(code)
}

// seedFile writes a 32-byte ML-DSA seed derived from tag to a file of mode
// 0600 and returns its path.
func seedFile(t testing.TB, tag byte) string {
	t.Helper()
	seed := make([]byte, 32)
	for i := range seed {
		seed[i] = tag + byte(i)
	}
	p := filepath.Join(t.TempDir(), fmt.Sprintf("seed-%d", tag))
	if err := os.WriteFile(p, []byte(hex.EncodeToString(seed)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// pqURI names a pqc ML-DSA key of the parameter set alg from a seed file.
func pqURI(t testing.TB, alg provider.Algorithm, tag byte, extra ...string) string {
	return fmt.Sprintf("pqc:alg=%s;seed-source=file:%s", alg, seedFile(t, tag)) + strings.Join(extra, "")
}

// softTrad names an in-memory classical key fitting the combination alg.
func softTrad(alg provider.Algorithm, seed string) string {
	name := string(alg)
	switch {
	case strings.Contains(name, "Ed25519"):
		return "memkey:alg=Ed25519;seed=" + seed
	case strings.Contains(name, "P256"):
		return "memkey:alg=ECDSA-P256-SHA256;seed=" + seed
	case strings.Contains(name, "P384"):
		return "memkey:alg=ECDSA-P384-SHA384;seed=" + seed
	case strings.Contains(name, "RSA2048-PSS"):
		return "memkey:alg=RSA-PSS-SHA256;bits=2048;seed=" + seed
	case strings.Contains(name, "RSA2048-PKCS15"):
		return "memkey:alg=RSA-PKCS1-SHA256;bits=2048;seed=" + seed
	case strings.Contains(name, "RSA3072-PSS"):
		return "memkey:alg=RSA-PSS-SHA256;bits=3072;seed=" + seed
	case strings.Contains(name, "RSA3072-PKCS15"):
		return "memkey:alg=RSA-PKCS1-SHA256;bits=3072;seed=" + seed
	}
	panic("no soft key for " + name)
}

// mldsaOf returns the ML-DSA parameter set of a combination.
func mldsaOf(alg provider.Algorithm) provider.Algorithm {
	switch {
	case strings.HasPrefix(string(alg), "MLDSA44"):
		return provider.MLDSA44
	case strings.HasPrefix(string(alg), "MLDSA65"):
		return provider.MLDSA65
	}
	return provider.MLDSA87
}

// softURI is a composite URI over software components only.
func softURI(t testing.TB, alg provider.Algorithm, tag byte) string {
	return composite.URI(alg, pqURI(t, mldsaOf(alg), tag), softTrad(alg, fmt.Sprint(tag)))
}

// openComposite is composite.Open for tests that use the *composite.Key.
func openComposite(ctx context.Context, uri string) (*composite.Key, error) {
	k, err := composite.Open(ctx, uri)
	if err != nil {
		return nil, err
	}
	return k.(*composite.Key), nil
}
