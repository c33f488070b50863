package remote

import (
	"context"
	"testing"

	"google.golang.org/grpc"

	"github.com/tinywindow/tinywindow/provider"
)

// Dial connects as Open does to the service of a remote URI (its key
// attribute is not used), for calling another gRPC method over the same
// client set-up, such as a benchmark's raw baseline. The connection closes
// when the test ends.
func Dial(tb testing.TB, uri string) *grpc.ClientConn {
	tb.Helper()
	u, err := provider.ParseURI(uri)
	if err != nil {
		tb.Fatal(err)
	}
	cfg, err := parse(context.Background(), u)
	if err != nil {
		tb.Fatal(err)
	}
	conn, err := dial(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		conn.Close()
		cfg.closeTLSKey()
	})
	return conn
}
