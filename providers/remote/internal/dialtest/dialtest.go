// Package dialtest lets tests of package remote that live outside it (in
// providers/remote/integration, a module of its own so that the client module
// never requires the server module) connect to a service exactly as
// [github.com/tinywindow/tinywindow/providers/remote.Open] does.
package dialtest

import (
	"context"

	"google.golang.org/grpc"
)

// Dial connects as remote.Open does to the service of a remote URI (its key
// attribute is not used), for calling another gRPC method over the same
// client set-up, such as a benchmark's raw baseline; release closes the
// connection and what the URI opened. Package remote sets it when it is
// linked in.
var Dial func(ctx context.Context, uri string) (conn *grpc.ClientConn, release func(), err error)
