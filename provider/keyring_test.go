package provider_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/tinywindow/tinywindow/internal/ectest"
	"github.com/tinywindow/tinywindow/provider"
)

func TestKeyringRotation(t *testing.T) {
	ctx := context.Background()
	old, next := ectest.New(), ectest.New()
	ring, err := provider.NewKeyring(old)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("order 1")
	oldID, oldSig, err := ring.Sign(ctx, msg)
	if err != nil || oldID != old.Info().ID {
		t.Fatalf("Sign: %s, %v", oldID, err)
	}
	// Rotate: add the new key as primary; the old signature still verifies.
	if err := ring.SetPrimary(next); err != nil {
		t.Fatal(err)
	}
	newID, newSig, _ := ring.Sign(ctx, msg)
	if newID != next.Info().ID {
		t.Fatalf("after rotation the ring signs with %s, want %s", newID, next.Info().ID)
	}
	for _, c := range []struct {
		id  string
		sig []byte
	}{{oldID, oldSig}, {newID, newSig}} {
		if err := ring.Verify(ctx, c.id, msg, c.sig); err != nil {
			t.Errorf("Verify with %s: %v", c.id, err)
		}
	}
	if err := ring.Verify(ctx, newID, msg, oldSig); !errors.Is(err, provider.ErrInvalidSignature) {
		t.Errorf("old signature under the new key ID: %v", err)
	}
	if err := ring.Remove(newID); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("removing the primary: %v", err)
	}
	if err := ring.Remove(oldID); err != nil {
		t.Fatal(err)
	}
	if err := ring.Verify(ctx, oldID, msg, oldSig); !errors.Is(err, provider.ErrKeyNotFound) || errors.Is(err, provider.ErrInvalidSignature) {
		t.Errorf("verify with a removed key: %v, want ErrKeyNotFound", err)
	}
	if err := ring.Remove(oldID); !errors.Is(err, provider.ErrKeyNotFound) {
		t.Errorf("removing twice: %v", err)
	}
	if err := ring.Add(next); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("adding a duplicate: %v", err)
	}
	if got := ring.IDs(); len(got) != 1 || got[0] != newID {
		t.Errorf("IDs = %v", got)
	}
}

func TestKeyringConcurrent(t *testing.T) {
	ctx := context.Background()
	ring, _ := provider.NewKeyring(ectest.New())
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				id, sig, err := ring.Sign(ctx, []byte("m"))
				if err != nil {
					t.Error(err)
					return
				}
				if err := ring.Verify(ctx, id, []byte("m"), sig); err != nil && !errors.Is(err, provider.ErrKeyNotFound) {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			k := ectest.New()
			if err := ring.Add(k); err != nil {
				t.Error(err)
			}
			if err := ring.SetPrimary(k); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
}
