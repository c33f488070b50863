package vaulttransit_test

import (
	"context"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/vaulttransit"
)

// Example signs and verifies with a Vault Transit key. Against a real Vault
// the URI is vault:addr=https://vault.example.com:8200;key=orders and the
// token comes from VAULT_TOKEN or token=file:PATH; here a local double of
// Vault's HTTP API stands in.
func Example() {
	d := startVault()
	defer d.srv.Close()
	d.addKey("transit", "orders", "ed25519")

	ctx := context.Background()
	k, err := provider.Open(ctx, d.uri("orders"))
	if err != nil {
		panic(err)
	}
	defer k.Close()
	sig, err := k.Sign(ctx, []byte("BUY 100 XYZ @ 42.00"))
	if err != nil {
		panic(err)
	}
	fmt.Println(k.Info().Algorithm, "version", k.Info().Version, len(sig), "bytes")
	fmt.Println(k.Verify(ctx, []byte("BUY 100 XYZ @ 42.00"), sig) == nil)
	// Output:
	// Ed25519 version 1 64 bytes
	// true
}
