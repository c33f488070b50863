package remote

import (
	"context"

	"google.golang.org/grpc"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/remote/internal/dialtest"
)

func init() { dialtest.Dial = dialURI }

// dialURI connects to the service of uri as Open does, without opening its
// key.
func dialURI(ctx context.Context, uri string) (*grpc.ClientConn, func(), error) {
	u, err := provider.ParseURI(uri)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := parse(ctx, u, true)
	if err != nil {
		return nil, nil, err
	}
	conn, err := dial(cfg)
	if err != nil {
		cfg.closeTLSKey()
		return nil, nil, err
	}
	return conn, func() {
		conn.Close()
		cfg.closeTLSKey()
	}, nil
}
