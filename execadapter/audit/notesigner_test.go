package audit

import (
	"context"
	"errors"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// TestNoteSigner: an Ed25519 key signs notes that note.Open verifies with
// the key's standard verifier key alone; a key of another algorithm is
// refused as a configuration error.
func TestNoteSigner(t *testing.T) {
	k := newEdKey(t)
	s, err := NoteSigner(context.Background(), "trail.test/log", k)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := note.Sign(&note.Note{Text: "trail.test/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"}, s)
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := CheckpointVerifierKey("trail.test/log", k)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
		t.Errorf("a note signed by NoteSigner does not open with the standard verifier: %v", err)
	}
	// A character well inside the signature's base64: the last ones before
	// the padding carry bits a decoder may ignore.
	msg[len(msg)-20] ^= 1
	if _, err := note.Open(msg, note.VerifierList(v)); err == nil {
		t.Error("a changed signature opened")
	}

	hk, err := hmac.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NoteSigner(context.Background(), "trail.test/log", hk); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("an HMAC key as a note signer: %v, want ErrInvalidConfig", err)
	}
}
