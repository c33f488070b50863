package provider_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tinywindow/tinywindow/internal/ectest"
	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/hmac"
	"github.com/tinywindow/tinywindow/providers/pem"
)

// relabelled is a key seen under another key ID, as a backend that names
// keys its own way (a KMS key ARN) shows a key also held elsewhere.
type relabelled struct {
	*ectest.Key
	id string
}

func (k relabelled) Info() provider.KeyInfo {
	info := k.Key.Info()
	info.ID = k.id
	return info
}

// pemOnly is a key that gives its public key only as PEM, under an ID of
// its own.
type pemOnly struct {
	k  *ectest.Key
	id string
}

func (k pemOnly) Info() provider.KeyInfo {
	return provider.KeyInfo{ID: k.id, Algorithm: provider.ECDSAP256SHA256}
}
func (k pemOnly) PublicKeyPEM() ([]byte, error) { return k.k.PublicKeyPEM() }

func TestSameKey(t *testing.T) {
	ctx := context.Background()
	open := func(uri string) provider.Key {
		t.Helper()
		k, err := provider.Open(ctx, uri)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.Close() })
		return k
	}
	dir := t.TempDir()
	edFile := filepath.Join(dir, "ed.pem")
	priv, _ := pem.GenerateKey(provider.Ed25519)
	text, _ := pem.MarshalPrivateKey(priv)
	os.WriteFile(edFile, text, 0o600)
	t.Setenv("TW_SAMEKEY_PEM", string(text))
	t.Setenv("TW_SAMEKEY_HEX", "7848b5d711bc9883996317a3f9c90269d56771005d540a19184939c9e8d0db2a") // keygen --seed 42
	ec, other := ectest.New(), ectest.New()
	tests := []struct {
		name string
		a, b interface{ Info() provider.KeyInfo }
		want bool
	}{
		{"HMAC seed and its hex key", open("hmac:seed=42"), open("hmac:key-source=env:TW_SAMEKEY_HEX"), true},
		{"HMAC seeds 42 and 43", open("hmac:seed=42"), open("hmac:seed=43"), false},
		{"pem file and env", open("pem:key-source=file:" + edFile), open("pem:key-source=env:TW_SAMEKEY_PEM"), true},
		{"pem file and another Ed25519 key", open("pem:key-source=file:" + edFile), ec, false},
		{"one key under two IDs", ec, relabelled{ec, "arn:aws:kms:key/1"}, true},
		{"two keys under two IDs", ec, relabelled{other, "arn:aws:kms:key/2"}, false},
		{"one key as PEM under two IDs", pemOnly{ec, "a"}, pemOnly{ec.Reopen(), "b"}, true},
		{"two keys as PEM under two IDs", pemOnly{ec, "a"}, pemOnly{other, "b"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := provider.SameKey(tc.a, tc.b); got != tc.want {
				t.Fatalf("SameKey = %v, want %v", got, tc.want)
			}
			if got := provider.SameKey(tc.b, tc.a); got != tc.want {
				t.Fatalf("SameKey reversed = %v, want %v", got, tc.want)
			}
		})
	}
}
