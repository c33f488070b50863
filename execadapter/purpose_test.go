package execadapter

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
)

// TestNewRefusesSharedCheckpointKey: an audit log whose checkpoints are
// signed by the order key, through any handle or URI, is refused unless
// the caller allows it explicitly.
func TestNewRefusesSharedCheckpointKey(t *testing.T) {
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
	t.Setenv("TW_PURPOSE_HEX", "7848b5d711bc9883996317a3f9c90269d56771005d540a19184939c9e8d0db2a") // keygen --seed 42
	orderKey := open("hmac:seed=42")
	keys, _ := provider.NewKeyring(orderKey)
	sim, err := venue.NewSim(venue.SimOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		checkpoint provider.Signer
		allow      bool
		refused    bool
	}{
		{"the order key's own handle", orderKey, false, true},
		{"a second handle, same URI", open("hmac:seed=42"), false, true},
		{"the same secret from another source", open("hmac:key-source=env:TW_PURPOSE_HEX"), false, true},
		{"the order key, allowed", orderKey, true, false},
		{"a key of its own", open("hmac:seed=4242"), false, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.log")
			log, _, err := audit.Open(path, audit.Options{Signer: tc.checkpoint, Durability: audit.Always})
			if err != nil {
				t.Fatal(err)
			}
			defer log.Close()
			a, err := New(Config{Signer: orderKey, Venue: sim, Audit: log, AllowSharedCheckpointKey: tc.allow})
			if tc.refused {
				if !errors.Is(err, audit.ErrSharedKey) || !errors.Is(err, provider.ErrInvalidConfig) {
					t.Fatalf("New: %v; want audit.ErrSharedKey", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			f := &fixture{clock: time.Now()}
			if _, err := a.SendOrder(ctx, f.order(t, fmt.Sprintf("c-%d", i), nil)); err != nil {
				t.Fatal(err)
			}
		})
	}
}
