package service_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/service"
)

// A service on loopback, called through a remote: URI. Production services
// use mutual TLS (a tls section in the config); plaintext is allowed on
// loopback only, with Options.InsecureLoopback.
func Example() {
	ctx := context.Background()
	cfg, err := service.ParseConfig([]byte(`
listen: 127.0.0.1:0
keys:
  orders: hmac:seed=42
clients:
  - identity: insecure-loopback
    keys: [orders]
    operations: [sign, verify]
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

	k, err := provider.Open(ctx, "remote:addr="+lis.Addr().String()+";key=orders?insecure-loopback=true")
	if err != nil {
		panic(err)
	}
	defer k.Close()
	tag, err := k.Sign(ctx, []byte("hello deterministic world"))
	if err != nil {
		panic(err)
	}
	fmt.Println(k.Info().Backend, k.Info().Algorithm, hex.EncodeToString(tag))
	// Output: remote HMAC-SHA256 1666c07b7d59d0acf5ee5097dd8958ffcdcdbcd336d4205e47ee8a23344db8ff
}
