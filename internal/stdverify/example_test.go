package stdverify_test

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/provider"
)

func ExampleVerify() {
	pub, priv, _ := ed25519.GenerateKey(nil)
	msg := []byte("order 42")
	sig := ed25519.Sign(priv, msg)

	fmt.Println(stdverify.Verify(provider.Ed25519, pub, msg, sig))
	err := stdverify.Verify(provider.Ed25519, pub, []byte("order 43"), sig)
	fmt.Println(errors.Is(err, provider.ErrInvalidSignature))
	// Output:
	// <nil>
	// true
}
