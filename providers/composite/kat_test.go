package composite_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/composite"
)

// TestTinkVectors verifies signatures that tink-go v2.9.0 made (written by
// the interop module's TestWriteVectors), one per combination both offer,
// from public keys in the draft's SubjectPublicKeyInfo: each verifies, and
// fails for another message and with a flipped bit in either half.
func TestTinkVectors(t *testing.T) {
	data, err := os.ReadFile("testdata/tink-go-v2.9.0.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vectors []struct{ Algorithm, SPKI, Message, Signature string }
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) != 9 {
		t.Fatalf("%d vectors, want 9", len(file.Vectors))
	}
	for _, v := range file.Vectors {
		t.Run(v.Algorithm, func(t *testing.T) {
			ctx := t.Context()
			der, _ := hex.DecodeString(v.SPKI)
			msg, _ := hex.DecodeString(v.Message)
			sig, _ := hex.DecodeString(v.Signature)
			pub, err := composite.ParsePKIXPublicKey(der)
			if err != nil {
				t.Fatal(err)
			}
			if string(pub.Algorithm) != v.Algorithm {
				t.Fatalf("SPKI OID gives %s", pub.Algorithm)
			}
			k, err := composite.NewVerifier(pub)
			if err != nil {
				t.Fatal(err)
			}
			if err := k.Verify(ctx, msg, sig); err != nil {
				t.Fatal(err)
			}
			if err := k.Verify(ctx, append(msg, '!'), sig); !errors.Is(err, provider.ErrInvalidSignature) {
				t.Fatalf("another message: %v", err)
			}
			for _, i := range []int{0, len(sig) - 1} {
				bad := append([]byte(nil), sig...)
				bad[i] ^= 1
				if err := k.Verify(ctx, msg, bad); !errors.Is(err, provider.ErrInvalidSignature) {
					t.Fatalf("bit flipped at %d: %v", i, err)
				}
			}
		})
	}
}
