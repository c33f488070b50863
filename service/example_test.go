package service_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"

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

// Keys with purposes: the orders key signs only orders (SignOrder, as
// envelopes the service builds), the log key only checkpoints that extend
// the last one it signed. A raw Sign on either is refused.
func Example_purposes() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	state := filepath.Join(dir, "log.ckstate")
	if err := service.InitCheckpointState(state); err != nil { // once, for a new checkpoints key
		panic(err)
	}
	cfg, err := service.ParseConfig([]byte(`
listen: 127.0.0.1:0
keys:
  orders: {uri: 'hmac:seed=42', purpose: orders}
  log: {uri: 'hmac:seed=43', purpose: checkpoints, state: '` + state + `'}
clients:
  - identity: insecure-loopback
    keys: ['*']
    operations: [SignOrder, SignCheckpoint, Sign, Verify]
`))
	if err != nil {
		panic(err)
	}
	srv, err := service.New(ctx, cfg, service.Options{InsecureLoopback: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(lis)
	defer srv.Shutdown(ctx)

	for _, name := range []string{"orders", "log"} {
		k, err := provider.Open(ctx, "remote:addr="+lis.Addr().String()+";key="+name+"?insecure-loopback=true")
		if err != nil {
			panic(err)
		}
		defer k.Close()
		_, err = k.Sign(ctx, []byte("bytes of the caller's choosing"))
		fmt.Println(name, k.(interface{ Purpose() string }).Purpose(), errors.Is(err, provider.ErrPermissionDenied))
	}
	// Output:
	// orders orders true
	// log checkpoints true
}
