package provider_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/hmac"
)

// Open a key by URI, sign, and tell a forgery from an outage.
func Example() {
	ctx := context.Background()
	key, err := provider.Open(ctx, "hmac:seed=42")
	if err != nil {
		panic(err)
	}
	defer key.Close()

	sig, _ := key.Sign(ctx, []byte("buy 100 XYZ"))
	err = key.Verify(ctx, []byte("buy 900 XYZ"), sig)
	switch {
	case err == nil:
		fmt.Println("valid")
	case errors.Is(err, provider.ErrInvalidSignature):
		fmt.Println("forged or altered")
	default:
		fmt.Println("could not check:", err)
	}
	// Output: forged or altered
}

func ExampleParseURI() {
	u, err := provider.ParseURI("pkcs11:token=tinywindow;object=orders?pin-source=env:TW_PIN")
	if err != nil {
		panic(err)
	}
	object, _ := u.Get("object")
	fmt.Println(u.Scheme, object)
	fmt.Println(u)
	// Output:
	// pkcs11 orders
	// pkcs11:token=tinywindow;object=orders?pin-source=env:TW_PIN
}

// A keyring verifies what older keys signed after the signing key rotates.
func ExampleKeyring() {
	ctx := context.Background()
	oldKey, _ := provider.Open(ctx, "hmac:seed=1")
	newKey, _ := provider.Open(ctx, "hmac:seed=2")
	ring, _ := provider.NewKeyring(oldKey)

	id, sig, _ := ring.Sign(ctx, []byte("order"))
	_ = ring.SetPrimary(newKey)
	fmt.Println(ring.Verify(ctx, id, []byte("order"), sig))
	fmt.Println(ring.Primary().Info().ID == newKey.Info().ID)
	// Output:
	// <nil>
	// true
}
