package gcpkms_test

import (
	"context"
	"testing"
	"time"

	"cloud.google.com/go/kms/apiv1/kmspb"
	"github.com/tinywindow/tinywindow/internal/testenv"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/provider"
)

func failWith(c codes.Code) func(context.Context, string) error {
	return func(context.Context, string) error { return status.Error(c, "injected by the test") }
}

// TestFaults makes the double answer Sign, Verify and Open with each fault
// and checks the sentinel, that the gRPC status stays reachable, and how
// many attempts were made (max-attempts=3).
func TestFaults(t *testing.T) {
	d, stop := startDouble()
	defer stop()
	ec := d.addKey("ec", kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256)
	mk := d.addKey("mac", kmspb.CryptoKeyVersion_HMAC_SHA256)
	ctx := t.Context()
	open := func(key string) provider.Key {
		t.Helper()
		k, err := provider.Open(ctx, d.uri(key, "max-attempts=3", "max-backoff=5ms"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.Close() })
		return k
	}
	eck, mack := open(ec), open(mk)
	msg := []byte("order 1")
	tag, err := mack.Sign(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		code     codes.Code
		want     error
		attempts int
	}{
		{"permission denied", codes.PermissionDenied, provider.ErrPermissionDenied, 1},
		{"unauthenticated", codes.Unauthenticated, provider.ErrPermissionDenied, 1},
		{"not found", codes.NotFound, provider.ErrKeyNotFound, 1},
		{"throttled", codes.ResourceExhausted, provider.ErrUnavailable, 3},
		{"unavailable", codes.Unavailable, provider.ErrUnavailable, 3},
		{"version disabled", codes.FailedPrecondition, provider.ErrUnavailable, 1},
		{"invalid argument", codes.InvalidArgument, provider.ErrInvalidConfig, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d.setFault(failWith(tc.code))
			defer d.setFault(nil)
			before := d.count("AsymmetricSign")
			_, err := eck.Sign(ctx, msg)
			testenv.NotInvalid(t, "Sign", err, tc.want)
			if s, ok := status.FromError(err); !ok || s.Code() != tc.code {
				t.Errorf("the gRPC status %v is not reachable from %v", tc.code, err)
			}
			if n := d.count("AsymmetricSign") - before; n != tc.attempts {
				t.Errorf("AsymmetricSign made %d attempts, want %d", n, tc.attempts)
			}
			testenv.NotInvalid(t, "MacVerify of a valid tag", mack.Verify(ctx, msg, tag), tc.want)
			bad := append([]byte(nil), tag...)
			bad[0] ^= 1
			testenv.NotInvalid(t, "MacVerify of a forged tag", mack.Verify(ctx, msg, bad), tc.want)
			_, err = provider.Open(ctx, d.uri(ec, "max-attempts=3", "max-backoff=5ms"))
			testenv.NotInvalid(t, "Open", err, tc.want)
		})
	}
	// Local verification needs no service.
	sig, err := eck.Sign(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	d.setFault(failWith(codes.Unavailable))
	if err := eck.Verify(ctx, msg, sig); err != nil {
		t.Errorf("local Verify with the service unavailable: %v", err)
	}
	d.setFault(nil)
}

// TestDeadline: a service that does not answer ends the call at the
// caller's deadline with ErrUnavailable, without further attempts once the
// deadline has passed.
func TestDeadline(t *testing.T) {
	d, stop := startDouble()
	defer stop()
	ec := d.addKey("ec", kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256)
	k, err := provider.Open(t.Context(), d.uri(ec, "max-attempts=5", "max-backoff=1ms"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	d.setFault(func(ctx context.Context, _ string) error {
		<-ctx.Done()
		return status.FromContextError(ctx.Err()).Err()
	})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err = k.Sign(ctx, []byte("order"))
	testenv.NotInvalid(t, "Sign past the deadline", err, provider.ErrUnavailable)
	if n := d.count("AsymmetricSign"); n != 1 {
		t.Errorf("AsymmetricSign made %d attempts; after the caller's deadline there must be no more", n)
	}
	// A deadline already past fails before any call.
	before := d.count("AsymmetricSign")
	_, err = k.Sign(ctx, []byte("order"))
	testenv.NotInvalid(t, "Sign with the deadline past", err, provider.ErrUnavailable)
	if d.count("AsymmetricSign") != before {
		t.Error("Sign with the deadline past made a call")
	}
}

// TestCorruptedCRC32C damages answers on the way back and checks that the
// client notices (ErrUnavailable after the retries, never a signature or a
// verdict built on damaged bytes), and that one damaged answer is retried.
func TestCorruptedCRC32C(t *testing.T) {
	d, stop := startDouble()
	defer stop()
	ec := d.addKey("ec", kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256)
	mk := d.addKey("mac", kmspb.CryptoKeyVersion_HMAC_SHA256)
	ml := d.addKey("ml", kmspb.CryptoKeyVersion_PQ_SIGN_ML_DSA_44)
	ctx := t.Context()
	open := func(key string) provider.Key {
		t.Helper()
		k, err := provider.Open(ctx, d.uri(key, "max-attempts=2", "max-backoff=1ms", "pubkey-ttl=0s"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.Close() })
		return k
	}
	eck, mack := open(ec), open(mk)
	msg := []byte("order 1")
	tag, err := mack.Sign(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		method  string
		corrupt func(any)
		call    func() error
	}{
		{"signature bit flipped", "AsymmetricSign", func(r any) { r.(*kmspb.AsymmetricSignResponse).Signature[3] ^= 1 },
			func() error { _, err := eck.Sign(ctx, msg); return err }},
		{"signature checksum missing", "AsymmetricSign", func(r any) { r.(*kmspb.AsymmetricSignResponse).SignatureCrc32C = nil },
			func() error { _, err := eck.Sign(ctx, msg); return err }},
		{"digest checksum not verified", "AsymmetricSign", func(r any) { r.(*kmspb.AsymmetricSignResponse).VerifiedDigestCrc32C = false },
			func() error { _, err := eck.Sign(ctx, msg); return err }},
		{"answer for another version", "AsymmetricSign", func(r any) { r.(*kmspb.AsymmetricSignResponse).Name += "0" },
			func() error { _, err := eck.Sign(ctx, msg); return err }},
		{"MAC bit flipped", "MacSign", func(r any) { r.(*kmspb.MacSignResponse).Mac[0] ^= 1 },
			func() error { _, err := mack.Sign(ctx, msg); return err }},
		{"MacVerify verdict flipped", "MacVerify", func(r any) { r.(*kmspb.MacVerifyResponse).Success = false },
			func() error { return mack.Verify(ctx, msg, tag) }},
		{"MacVerify MAC checksum not verified", "MacVerify", func(r any) { r.(*kmspb.MacVerifyResponse).VerifiedMacCrc32C = false },
			func() error { return mack.Verify(ctx, msg, tag) }},
		{"public key PEM damaged", "GetPublicKey", func(r any) { p := r.(*kmspb.PublicKey); p.Pem = p.Pem[:40] + "A" + p.Pem[41:] },
			func() error { _, err := provider.Open(ctx, d.uri(ec, "max-attempts=2", "max-backoff=1ms")); return err }},
		{"ML-DSA public key damaged", "GetPublicKey", func(r any) { r.(*kmspb.PublicKey).PublicKey.Data[7] ^= 1 },
			func() error { _, err := provider.Open(ctx, d.uri(ml, "max-attempts=2", "max-backoff=1ms")); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			every := func(m string, r any) {
				if m == tc.method {
					tc.corrupt(r)
				}
			}
			d.setCorrupt(every)
			before := d.count(tc.method)
			testenv.NotInvalid(t, tc.method, tc.call(), provider.ErrUnavailable)
			if n := d.count(tc.method) - before; n != 2 {
				t.Errorf("%s made %d attempts, want max-attempts=2", tc.method, n)
			}
			// Damage one answer only: the retry succeeds.
			once := true
			d.setCorrupt(func(m string, r any) {
				if m == tc.method && once {
					once = false
					tc.corrupt(r)
				}
			})
			if err := tc.call(); err != nil {
				t.Errorf("with one damaged answer: %v", err)
			}
			d.setCorrupt(nil)
		})
	}
}

// TestRequestCRC32C: the service checks the CRC32C our requests carry; a
// request whose checksum does not match is refused, which a client error
// would cause. The double answers as Cloud KMS does, and the backend maps
// it to ErrInvalidConfig, never to an invalid signature.
func TestRequestCRC32C(t *testing.T) {
	d, stop := startDouble()
	defer stop()
	mk := d.addKey("mac", kmspb.CryptoKeyVersion_HMAC_SHA256)
	k, err := provider.Open(t.Context(), d.uri(mk))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	d.setFault(func(_ context.Context, m string) error {
		if m == "MacVerify" {
			return status.Error(codes.InvalidArgument, "The checksum in field data_crc32c did not match the data in field data.")
		}
		return nil
	})
	tag := make([]byte, 32)
	testenv.NotInvalid(t, "MacVerify refused for its checksum", k.Verify(t.Context(), []byte("m"), tag), provider.ErrInvalidConfig)
}
