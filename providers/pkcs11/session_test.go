//go:build cgo && !nopkcs11

package pkcs11

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// TestHMACImportMatchesHMACBackend checks that the MVP key for seed 42,
// imported into the token, gives tags byte-equal to the hmac backend's, and
// the same key ID.
func TestHMACImportMatchesHMACBackend(t *testing.T) {
	needKeys(t)
	hsm := testenv.MustOpen(t, keyURI("hmac-mvp42"))
	soft := hmac.NewFromSeed(42)
	defer soft.Close()
	if hsm.Info().ID != soft.Info().ID {
		t.Errorf("key ID in the token %s, in the hmac backend %s", hsm.Info().ID, soft.Info().ID)
	}
	if keyInfos["hmac-mvp42"].ID != soft.Info().ID {
		t.Errorf("keygen --import reported ID %s, want %s", keyInfos["hmac-mvp42"].ID, soft.Info().ID)
	}
	for _, n := range []int{0, 1, 31, 32, 64, 65, 1000, 1 << 16} {
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte(i * 7)
		}
		a, err := hsm.Sign(t.Context(), msg)
		if err != nil {
			t.Fatal(err)
		}
		b, err := soft.Sign(t.Context(), msg)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("%d-byte message: token tag %x, hmac backend tag %x", n, a, b)
		}
		if err := hsm.Verify(t.Context(), msg, b); err != nil {
			t.Fatalf("the token rejects the hmac backend's tag: %v", err)
		}
		if err := soft.Verify(t.Context(), msg, a); err != nil {
			t.Fatalf("the hmac backend rejects the token's tag: %v", err)
		}
	}
}

// TestStress32 runs 32 goroutines signing and verifying with every key type
// at once, through pools of 4 sessions, and checks that no session was ever
// opened beyond the bound.
func TestStress32(t *testing.T) {
	needKeys(t)
	const goroutines, ops, max = 32, 40, 4
	var keys []provider.Key
	for _, obj := range []string{"hmac", "p256", "p384", "ed25519", "rsa"} {
		keys = append(keys, testenv.MustOpen(t, keyURI(obj, fmt.Sprintf("max-sessions=%d", max))))
	}
	var wg sync.WaitGroup
	var failures atomic.Int64
	for g := range goroutines {
		wg.Go(func() {
			for i := range ops {
				k := keys[(g+i)%len(keys)]
				msg := []byte(fmt.Sprintf("order %d/%d", g, i))
				sig, err := k.Sign(t.Context(), msg)
				if err == nil {
					err = k.Verify(t.Context(), msg, sig)
				}
				if err == nil {
					msg[0] ^= 1
					if verr := k.Verify(t.Context(), msg, sig); !errors.Is(verr, provider.ErrInvalidSignature) {
						err = fmt.Errorf("changed message: %v", verr)
					}
				}
				if err != nil {
					if failures.Add(1) <= 3 {
						t.Errorf("goroutine %d, %s: %v", g, k.Info().Algorithm, err)
					}
				}
			}
		})
	}
	wg.Wait()
	for _, k := range keys {
		ik := inner(t, k)
		if n := ik.pool.opened.Load(); n > max {
			t.Errorf("%s key opened %d sessions, more than max-sessions=%d", k.Info().Algorithm, n, max)
		}
		if !ik.SessionCopy() {
			t.Errorf("%s key works on its token object; SoftHSM allows a session copy", k.Info().Algorithm)
		}
	}
}

// TestSessionInvalidatedUnderLoad closes sessions behind the pool's back
// while 8 goroutines sign and verify; the broken sessions must be evicted and
// the operations retried on fresh ones, so no caller sees an error.
func TestSessionInvalidatedUnderLoad(t *testing.T) {
	needKeys(t)
	for _, obj := range []string{"hmac", "p256"} {
		t.Run(obj, func(t *testing.T) {
			k := testenv.MustOpen(t, keyURI(obj, "max-sessions=4", "verify=hsm"))
			ik := inner(t, k)
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var done, failed atomic.Int64
			for g := range 8 {
				wg.Go(func() {
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						msg := []byte{byte(g), byte(i)}
						sig, err := k.Sign(t.Context(), msg)
						if err == nil {
							err = k.Verify(t.Context(), msg, sig)
						}
						if err != nil {
							if failed.Add(1) <= 3 {
								t.Errorf("goroutine %d: %v", g, err)
							}
							return
						}
						done.Add(1)
					}
				})
			}
			// Borrow a session as any operation does (so no one else is
			// using it), close it in the token, and hand it back as if it
			// were good: the next user finds CKR_SESSION_HANDLE_INVALID.
			const kills = 20
			for range kills {
				sh, err := ik.pool.get(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				// A session killed earlier may come round again before a
				// worker has evicted it: closing it again says it is invalid.
				if err := ik.mod.ctx.CloseSession(sh); err != nil && !sessionBroken(err) {
					ik.pool.discard(sh) // give its slot back, so Close does not wait for it
					t.Fatal(err)
				}
				ik.pool.put(sh)
				time.Sleep(2 * time.Millisecond)
			}
			close(stop)
			wg.Wait()
			// Drain: every remaining dead session is found and evicted.
			for range 4 * kills {
				if _, err := k.Sign(t.Context(), []byte("after")); err != nil {
					t.Fatalf("Sign after the disruption: %v", err)
				}
			}
			if ev := ik.pool.evicted.Load(); ev == 0 {
				t.Fatalf("no session was evicted after %d were closed", kills)
			}
			t.Logf("%d operations, %d sessions evicted, %d opened", done.Load(), ik.pool.evicted.Load(), ik.pool.opened.Load())
		})
	}
}

// TestLogoutAndSessionLossRecover closes every session of the application on
// the token, which logs it out and destroys the key's session copies: the
// next operation must re-login, look the key up again and succeed.
func TestLogoutAndSessionLossRecover(t *testing.T) {
	needKeys(t)
	for _, tc := range []struct {
		name, obj string
		extra     []string
	}{
		{"hmac", "hmac", nil},
		{"ed25519", "ed25519", nil},
		{"hmac/token-object", "hmac", []string{"session-keys=off"}},
		{"p256/token-object", "p256", []string{"session-keys=off"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := testenv.MustOpen(t, keyURI(tc.obj, tc.extra...))
			ik := inner(t, k)
			msg := []byte("before")
			sig, err := k.Sign(t.Context(), msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := ik.mod.ctx.CloseAllSessions(ik.slot); err != nil {
				t.Fatal(err)
			}
			if ik.reloads.Load() != 0 {
				t.Fatalf("%d key lookups before the sessions were closed, want 0", ik.reloads.Load())
			}
			sig2, err := k.Sign(t.Context(), msg)
			if err != nil {
				t.Fatalf("Sign after every session was closed: %v", err)
			}
			if k.(provider.Determinism).Deterministic() && !bytes.Equal(sig, sig2) {
				t.Fatalf("the key signs differently after recovering")
			}
			if err := k.Verify(t.Context(), msg, sig); err != nil {
				t.Fatal(err)
			}
			ev, rl, li := ik.pool.evicted.Load(), ik.reloads.Load(), ik.relogins.Load()
			if ev == 0 || rl+li == 0 {
				t.Fatalf("evicted %d, reloads %d, relogins %d; want a session evicted and the key or the login restored", ev, rl, li)
			}
			t.Logf("evicted %d, reloads %d, relogins %d", ev, rl, li)
		})
	}
}

// TestLogoutRecovers logs the process out of the token while its sessions
// stay open; the next operation must log in again.
func TestLogoutRecovers(t *testing.T) {
	needKeys(t)
	for _, tc := range []struct {
		name, obj string
		extra     []string
	}{
		{"hmac", "hmac", nil},
		{"hmac/token-object", "hmac", []string{"session-keys=off"}},
		{"p256/token-object", "p256", []string{"session-keys=off"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := testenv.MustOpen(t, keyURI(tc.obj, tc.extra...))
			ik := inner(t, k)
			sh, err := ik.pool.get(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if err := ik.mod.ctx.Logout(sh); err != nil {
				t.Fatal(err)
			}
			ik.pool.put(sh)
			if _, err := k.Sign(t.Context(), []byte("after logout")); err != nil {
				t.Fatalf("Sign after logout: %v", err)
			}
			rl, li := ik.reloads.Load(), ik.relogins.Load()
			if rl+li == 0 {
				t.Fatalf("Sign after logout succeeded without logging in again")
			}
			t.Logf("reloads %d, relogins %d", rl, li)
		})
	}
}

// TestModuleRefcount checks that the module is initialised once for many
// keys and finalised when the last one closes, and can be used again after.
func TestModuleRefcount(t *testing.T) {
	needKeys(t)
	refs := func() int {
		modules.mu.Lock()
		defer modules.mu.Unlock()
		if m := modules.byPath[softhsm.module]; m != nil {
			return m.refs
		}
		return 0
	}
	base := refs()
	a, err := provider.Open(t.Context(), keyURI("hmac"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := provider.Open(t.Context(), keyURI("p256"))
	if err != nil {
		t.Fatal(err)
	}
	if inner(t, a).mod != inner(t, b).mod {
		t.Fatal("two keys of one module loaded it twice")
	}
	if got := refs(); got != base+2 {
		t.Fatalf("refs = %d with two keys open, want %d", got, base+2)
	}
	a.Close()
	a.Close()
	if got := refs(); got != base+1 {
		t.Fatalf("refs = %d after closing one key twice, want %d", got, base+1)
	}
	b.Close()
	if got := refs(); got != base {
		t.Fatalf("refs = %d after closing both, want %d", got, base)
	}
	c := testenv.MustOpen(t, keyURI("hmac"))
	if _, err := c.Sign(t.Context(), []byte("again")); err != nil {
		t.Fatalf("Sign after the module was finalised and initialised again: %v", err)
	}
}

// TestCryptoSignerCertificate makes a self-signed X.509 certificate with the
// token's P-256 key through crypto/x509, unchanged.
func TestCryptoSignerCertificate(t *testing.T) {
	needKeys(t)
	k := testenv.MustOpen(t, keyURI("p256"))
	cs, err := provider.CryptoSigner(t.Context(), k)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "orders"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, cs.Public(), cs)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Fatalf("the certificate's signature: %v", err)
	}
	if !cert.PublicKey.(*ecdsa.PublicKey).Equal(k.(provider.PublicKeyer).Public()) {
		t.Fatal("the certificate holds another public key")
	}
	if _, err := provider.CryptoSigner(t.Context(), testenv.MustOpen(t, keyURI("hmac"))); !errors.Is(err, provider.ErrUnsupported) {
		t.Fatalf("CryptoSigner of an HMAC key: %v, want ErrUnsupported", err)
	}
}

// TestCloseWaitsAndFailsFast checks that Close waits for an operation that
// holds a session, and that a session asked for after Close fails at once
// with ErrClosed instead of waiting for one.
func TestCloseWaitsAndFailsFast(t *testing.T) {
	needKeys(t)
	k, err := provider.Open(t.Context(), keyURI("hmac", "max-sessions=2"))
	if err != nil {
		t.Fatal(err)
	}
	ik := inner(t, k)
	sh, err := ik.pool.get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() {
		k.Close()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("Close returned while a session was still borrowed")
	case <-time.After(50 * time.Millisecond):
	}
	ik.pool.put(sh)
	<-closed
	if _, err := ik.pool.get(context.Background()); !errors.Is(err, provider.ErrClosed) {
		t.Fatalf("get after Close: %v, want ErrClosed", err)
	}
	if _, err := k.Sign(context.Background(), []byte("x")); !errors.Is(err, provider.ErrClosed) {
		t.Fatalf("Sign after Close: %v, want ErrClosed", err)
	}
}
