package remote_test

import (
	"context"
	"fmt"
	"net"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/remote"
	"github.com/tinywindow/tinywindow/service"
)

// Open a key held by a signing service. Here the service runs in-process
// and plaintext on loopback; a real one needs mutual TLS, named by the
// ca-source, cert-source and key-source attributes of the URI.
func ExampleOpen() {
	ctx := context.Background()
	cfg, err := service.ParseConfig([]byte(`
listen: 127.0.0.1:0
keys: {orders: 'hmac:seed=42'}
clients: [{identity: insecure-loopback, keys: [orders], operations: [sign, verify]}]
`))
	if err != nil {
		panic(err)
	}
	srv, err := service.New(ctx, cfg, service.Options{InsecureLoopback: true})
	if err != nil {
		panic(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(lis)
	defer srv.Shutdown(ctx)

	k, err := remote.Open(ctx, "remote:addr="+lis.Addr().String()+";key=orders?insecure-loopback=true")
	if err != nil {
		panic(err)
	}
	defer k.Close()
	msg := []byte("order 1")
	sig, _ := k.Sign(ctx, msg)
	fmt.Println(k.Info().Algorithm, k.Verify(ctx, msg, sig))
	sig[0] ^= 1
	fmt.Println(k.Verify(ctx, msg, sig))

	// Without certificates, and not on loopback in plaintext, the URI is
	// refused before any connection is made.
	_, err = provider.Open(ctx, "remote:addr=signer.example:7443;key=orders")
	fmt.Println(err)
	// Output:
	// HMAC-SHA256 <nil>
	// invalid signature
	// invalid configuration: remote URI has no ca-source: mutual TLS needs ca-source, cert-source and key-source (or insecure-loopback=true for a plaintext service on loopback)
}
