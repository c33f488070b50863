package provider_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/internal/ectest"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

func TestCryptoSignerMakesCertificates(t *testing.T) {
	k := ectest.New()
	cs, err := provider.CryptoSigner(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "orders"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, cs.Public(), cs)
	if err != nil {
		t.Fatalf("x509.CreateCertificate through the adapter: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.CheckSignatureFrom(cert); err != nil {
		t.Fatalf("self-signed certificate does not verify: %v", err)
	}
	d := sha256.Sum256([]byte("m"))
	if _, err := cs.Sign(nil, d[:20], crypto.SHA256); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("short digest: %v", err)
	}
	if sig, err := cs.Sign(nil, d[:], crypto.SHA256); err != nil || !ecdsa.VerifyASN1(k.Public().(*ecdsa.PublicKey), d[:], sig) {
		t.Errorf("Sign: %v", err)
	}
}

func TestCryptoSignerRefusesMAC(t *testing.T) {
	if _, err := provider.CryptoSigner(context.Background(), hmac.NewFromSeed(1)); !errors.Is(err, provider.ErrUnsupported) {
		t.Fatalf("CryptoSigner of an HMAC key: %v, want ErrUnsupported", err)
	}
}

// ctxKey is a context value key of the tests.
type ctxKey struct{}

// ctxRecorder is an ECDSA key that records the context each SignDigest
// gets, so that a test can see which context reached the backend.
type ctxRecorder struct {
	*ectest.Key
	got context.Context
}

func (k *ctxRecorder) SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	k.got = ctx
	return k.Key.SignDigest(ctx, digest, opts)
}

// TestCryptoSignerCallContext checks that each Sign takes its context from
// its options (provider.SignerOpts, as a value or a pointer), that a call
// without one runs under DefaultSignTimeout with the values but not the
// cancellation of the context CryptoSigner was given, and that the options
// proper reach the backend unwrapped.
func TestCryptoSignerCallContext(t *testing.T) {
	k := &ctxRecorder{Key: ectest.New()}
	made, cancelMade := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "made"))
	cs, err := provider.CryptoSigner(made, k)
	if err != nil {
		t.Fatal(err)
	}
	cancelMade() // a long-lived crypto.Signer outlives the context it was made in
	d := sha256.Sum256([]byte("m"))
	pub := k.Public().(*ecdsa.PublicKey)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	deadline := time.Now().Add(time.Hour)
	withDeadline, cancelDeadline := context.WithDeadline(context.WithValue(context.Background(), ctxKey{}, "call"), deadline)
	defer cancelDeadline()

	for _, tc := range []struct {
		name      string
		opts      crypto.SignerOpts
		wantErr   error
		wantValue string
		deadline  func(time.Time, bool) bool
	}{
		{"plain hash", crypto.SHA256, nil, "made", func(d time.Time, ok bool) bool {
			return ok && d.After(time.Now()) && !d.After(time.Now().Add(provider.DefaultSignTimeout))
		}},
		{"SignerOpts without a context", provider.SignerOpts{Opts: crypto.SHA256}, nil, "made", func(d time.Time, ok bool) bool {
			return ok && !d.After(time.Now().Add(provider.DefaultSignTimeout))
		}},
		{"SignerOpts with a deadline", provider.SignerOpts{Opts: crypto.SHA256, Context: withDeadline}, nil, "call", func(d time.Time, ok bool) bool {
			return ok && d.Equal(deadline)
		}},
		{"*SignerOpts with a deadline", &provider.SignerOpts{Opts: crypto.SHA256, Context: withDeadline}, nil, "call", func(d time.Time, ok bool) bool {
			return ok && d.Equal(deadline)
		}},
		{"SignerOpts with a cancelled context", provider.SignerOpts{Opts: crypto.SHA256, Context: cancelled}, provider.ErrUnavailable, "", nil},
		{"SignerOpts with no options", provider.SignerOpts{Context: withDeadline}, provider.ErrUnsupported, "", nil},
		{"nil *SignerOpts", (*provider.SignerOpts)(nil), provider.ErrInvalidConfig, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k.got = nil
			sig, err := cs.Sign(nil, d[:], tc.opts)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Sign: %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			if !ecdsa.VerifyASN1(pub, d[:], sig) {
				t.Fatal("the signature does not verify")
			}
			if got := k.got.Value(ctxKey{}); got != tc.wantValue {
				t.Errorf("the backend's context carries %v, want %q", got, tc.wantValue)
			}
			if dl, ok := k.got.Deadline(); !tc.deadline(dl, ok) {
				t.Errorf("the backend's context has deadline %v (%v)", dl, ok)
			}
		})
	}
	if got := (provider.SignerOpts{Opts: crypto.SHA384}).HashFunc(); got != crypto.SHA384 {
		t.Errorf("SignerOpts.HashFunc: %v", got)
	}
	if got := (provider.SignerOpts{}).HashFunc(); got != 0 {
		t.Errorf("SignerOpts{}.HashFunc: %v", got)
	}
}
