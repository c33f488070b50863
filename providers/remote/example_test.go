package remote_test

import (
	"context"
	"fmt"

	"github.com/tinywindow/tinywindow/providers/remote"
)

// Open a key held by a signing service over mutual TLS: the URI names the
// service's CA and this client's certificate and key. Without them, and not
// on loopback in plaintext, the URI is refused before any connection is made.
// The examples that run against a real service are in
// providers/remote/integration.
func ExampleOpen() {
	ctx := context.Background()
	_, err := remote.Open(ctx, "remote:addr=signer.example:7443;key=orders")
	fmt.Println(err)

	// With certificates, the key signs and verifies through the service:
	//
	//	k, err := remote.Open(ctx, "remote:addr=signer.example:7443;key=orders"+
	//		"?ca-source=file:/etc/tw/ca.pem&cert-source=file:/etc/tw/client.pem&key-source=file:/etc/tw/client.key")
	//	sig, err := k.Sign(ctx, msg)

	// Output:
	// invalid configuration: remote URI has no ca-source: mutual TLS needs ca-source, cert-source and key-source or key-uri (or insecure-loopback=true for a plaintext service on loopback)
}
