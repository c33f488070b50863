package remote_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"

	"github.com/tinywindow/tinywindow/providers/remote/internal/dialtest"
)

// dialLikeOpen connects as remote.Open does to the service of a remote URI
// (its key attribute is not used), for calling another gRPC method over the
// same client set-up, such as a benchmark's raw baseline. The connection
// closes when the test ends.
func dialLikeOpen(tb testing.TB, uri string) *grpc.ClientConn {
	tb.Helper()
	conn, release, err := dialtest.Dial(context.Background(), uri)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(release)
	return conn
}
