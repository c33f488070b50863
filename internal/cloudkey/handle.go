package cloudkey

import (
	"context"
	"encoding/pem"
	"sync/atomic"

	"github.com/tinywindow/tinywindow/provider"
)

// Handle is the part of a cloud key handle that is the same for every
// service: the names errors carry, the key's description, and whether the
// handle is closed. The zero Handle is not usable; make one with
// [NewHandle]. Copies of a Handle share one state. It is safe for
// concurrent use.
type Handle struct{ s *handleState }

type handleState struct {
	backend, key string
	info         provider.KeyInfo
	release      func() error
	closed       atomic.Bool
}

// NewHandle returns the handle of the key named key (as the URI named it)
// of the backend whose scheme is backend. release, if not nil, is called
// once, by the first Close (it closes the client or forgets a token).
func NewHandle(backend, key string, info provider.KeyInfo, release func() error) Handle {
	return Handle{&handleState{backend: backend, key: key, info: info, release: release}}
}

// Info describes the key as it was when opened.
func (h Handle) Info() provider.KeyInfo { return h.s.info }

// Check returns the error a call on the key fails with before any I/O: a
// *provider.OpError matching ErrClosed after Close, or ErrUnavailable
// wrapping the context's error once ctx is done; nil otherwise. It never
// matches ErrInvalidSignature.
func (h Handle) Check(ctx context.Context) error {
	if h.s.closed.Load() {
		return h.fail("", provider.ErrClosed, nil)
	}
	if err := ctx.Err(); err != nil {
		return h.fail("", provider.ErrUnavailable, err)
	}
	return nil
}

// Closed reports whether Close has been called.
func (h Handle) Closed() bool { return h.s.closed.Load() }

// Close makes every later call fail with ErrClosed and, the first time,
// calls release. It is idempotent: later calls return nil. The key itself
// stays in its service.
func (h Handle) Close() error {
	if h.s.closed.Swap(true) || h.s.release == nil {
		return nil
	}
	return h.s.release()
}

func (h Handle) fail(op string, kind, err error) error {
	return &provider.OpError{Backend: h.s.backend, Op: op, Key: h.s.key, Kind: kind, Err: err}
}

// PublicKeyPEM returns der, a DER SubjectPublicKeyInfo, as a PEM "PUBLIC
// KEY" block, or the error Check gives after Close.
func PublicKeyPEM(h Handle, der []byte) ([]byte, error) {
	if err := h.Check(context.Background()); err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}
