package remote

import (
	"context"
	"time"

	"google.golang.org/grpc"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/provider"
)

// Conn is a connection to a signing service for the calls that name no
// key: the kill switch's Kill and Resume.
type Conn struct {
	signerpb.SignerClient
	conn *grpc.ClientConn
	cfg  *config
}

// Dial connects to the signing service that uri names, with the same
// addresses, mutual TLS material and options as Open, but opens no key: the
// key attribute may be left out. It does not wait for the connection; the
// first call makes it. Close the Conn when done.
func Dial(ctx context.Context, uri string) (*Conn, error) {
	u, err := provider.ParseURI(uri)
	if err != nil {
		return nil, err
	}
	cfg, err := parse(ctx, u, false)
	if err != nil {
		return nil, err
	}
	conn, err := dial(cfg)
	if err != nil {
		cfg.closeTLSKey()
		return nil, err
	}
	return &Conn{SignerClient: signerpb.NewSignerClient(conn), conn: conn, cfg: cfg}, nil
}

// Timeout returns the URI's timeout (DefaultTimeout when it sets none),
// for the caller to bound each call with.
func (c *Conn) Timeout() time.Duration { return c.cfg.timeout }

// Close closes the connection and the client's TLS key.
func (c *Conn) Close() error {
	err := c.conn.Close()
	if kerr := c.cfg.closeTLSKey(); err == nil {
		err = kerr
	}
	return err
}
