package remote_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"

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
	// invalid configuration: remote URI has no ca-source: mutual TLS needs ca-source, cert-source and key-source or key-uri (or insecure-loopback=true for a plaintext service on loopback)
}

// Open one key over a fleet of identical services: addr lists them (or
// names a host with several addresses), and calls are balanced over those
// that are up and report SERVING. When one stops, calls go on through the
// others.
func ExampleOpen_fleet() {
	ctx := context.Background()
	var addrs []string
	var fleet []*service.Server
	for range 3 {
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
		fleet = append(fleet, srv)
		addrs = append(addrs, lis.Addr().String())
	}

	k, err := remote.Open(ctx, "remote:addr="+strings.Join(addrs, ",")+";key=orders?insecure-loopback=true")
	if err != nil {
		panic(err)
	}
	defer k.Close()
	msg := []byte("order 1")
	before, err := k.Sign(ctx, msg)
	fmt.Println(err)
	fleet[0].Shutdown(ctx) // drains: its health turns NOT_SERVING first
	for range 10 {
		sig, err := k.Sign(ctx, msg)
		if err != nil || !bytes.Equal(sig, before) {
			fmt.Println("sign:", err)
		}
	}
	fmt.Println(k.Verify(ctx, msg, before))
	// Output:
	// <nil>
	// <nil>
}
