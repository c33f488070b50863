package azurekv_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/tinywindow/tinywindow/providers/azurekv"
)

// In production a key opens through the registry, with credentials from
// DefaultAzureCredential:
//
//	k, err := provider.Open(ctx, "azurekv:vault=https://orders.vault.azure.net;name=orders")
//
// Here the key lives in the local Key Vault double the tests use, reached
// through the real azkeys client with the double's transport and credential.
func Example() {
	v := startVault()
	defer v.Close()
	ctx := context.Background()

	k, err := azurekv.OpenWithOptions(ctx, v.uri("p256"), v.options())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer k.Close()

	msg := []byte("BUY 100 XYZ @ 42.00")
	sig, err := k.Sign(ctx, msg) // ASN.1 DER, converted from the vault's r‖s
	if err != nil {
		fmt.Println(err)
		return
	}
	digest := sha256.Sum256(msg)
	pem, _ := k.PublicKeyPEM()
	fmt.Println(k.Info().Backend, k.Info().Algorithm)
	fmt.Println("version in use:", k.Info().Version == v.latest("p256"))
	fmt.Println("Verify:", k.Verify(ctx, msg, sig))
	fmt.Println("crypto/ecdsa:", ecdsa.VerifyASN1(k.Public().(*ecdsa.PublicKey), digest[:], sig))
	fmt.Println(strings.SplitN(string(pem), "\n", 2)[0])
	// Output:
	// azurekv ECDSA-P256-SHA256
	// version in use: true
	// Verify: <nil>
	// crypto/ecdsa: true
	// -----BEGIN PUBLIC KEY-----
}

func ExampleParseURI() {
	cfg, err := azurekv.ParseURI("azurekv:vault=https://orders.vault.azure.net;name=rsa-orders;alg=RSA-PSS-SHA256?verify=remote")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Vault, cfg.Name, cfg.Algorithm, cfg.Verify, cfg.CacheTTL)

	_, err = azurekv.ParseURI("azurekv:vault=http://orders.vault.azure.net;name=orders")
	fmt.Println(err)
	// Output:
	// https://orders.vault.azure.net rsa-orders RSA-PSS-SHA256 remote 10m0s
	// invalid configuration: azurekv: vault "http://orders.vault.azure.net" is not an https URL; write vault=https://NAME.vault.azure.net (Key Vault refuses plain HTTP)
}
