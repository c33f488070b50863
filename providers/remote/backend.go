package remote

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/provider"
)

// Scheme is the URI scheme of the remote backend.
const Scheme = "remote"

func init() {
	provider.Register(provider.Backend{
		Scheme:      Scheme,
		Description: "a key held by a TinyWindow signing service (tinywindow serve), over gRPC with mutual TLS",
		Algorithms:  Algorithms(),
		Open:        func(ctx context.Context, u *provider.URI) (provider.Key, error) { return OpenURI(ctx, u) },
	})
}

// Open opens the key named by a URI of the form
//
//	remote:addr=HOST:PORT;key=NAME?ca-source=SRC&cert-source=SRC&key-source=SRC
//
// where addr is the service's address, or several separated by commas
// (HOST:PORT,HOST:PORT,...). Calls are spread over every address with gRPC's
// round_robin policy: over each address of the list, or over every address
// HOST resolves to when there is one (resolved again when a connection is
// lost). An address is left out while it cannot be reached or while its
// health service does not report SERVING, as from the moment a service
// starts shutting down. NAME is the key's name in the service's
// configuration (or its key ID), ca-source holds the PEM certificates of the
// CAs that may issue the service's certificate, cert-source the client's PEM
// certificate chain and key-source its PEM private key (a secret: env:NAME,
// or file:PATH of mode 0600), or key-uri the client's private key as a key
// URI of any backend (its ';', '?' and '&' percent-encoded as %3B, %3F and
// %26), such as an ML-DSA key in a pqc seed file, in a KMS or in an HSM,
// which signs each handshake through provider.CryptoSigner. Certificates are public: their sources are
// file:PATH or env:NAME without a mode check. The client offers the
// key-exchange group X25519MLKEM768 first. Optional query attributes:
//
//	server-name=NAME          name to check on the service's certificate (default: the host dialled)
//	require-post-quantum=true only an ML-KEM hybrid key exchange and an ML-DSA service certificate (Go 1.27)
//	dns-server=HOST:PORT      DNS server that resolves the host of addr, instead of the system's resolver
//	timeout=DURATION          limit of a call whose context has no deadline (default 10s)
//	retries=N                 retries of calls that are safe to repeat (default 2)
//	insecure-loopback=true    plaintext to a service on a loopback address, without certificates
//
// The timeout is kept on the client: a call past it fails as one past a
// deadline does (ErrUnavailable, status DEADLINE_EXCEEDED) and the service
// cancels it, but the service is not sent it, and bounds such a call by its
// own max-deadline. A deadline set on the caller's context is sent.
func Open(ctx context.Context, uri string) (provider.Key, error) {
	u, err := provider.ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return OpenURI(ctx, u)
}

// OpenURI is Open for a parsed URI.
func OpenURI(ctx context.Context, u *provider.URI) (provider.Key, error) {
	cfg, err := parse(ctx, u, true)
	if err != nil {
		return nil, err
	}
	conn, err := dial(cfg)
	if err != nil {
		cfg.closeTLSKey()
		return nil, err
	}
	k, err := newKey(ctx, cfg, conn, signerpb.NewSignerClient(conn))
	if err != nil {
		conn.Close()
		cfg.closeTLSKey()
		return nil, err
	}
	return k, nil
}

// dial makes the client connection of cfg: its TLS credentials, reconnection
// backoff, message size limits and balancing policy. It does not connect.
func dial(cfg *config) (*grpc.ClientConn, error) {
	target, opts := cfg.target()
	conn, err := grpc.NewClient(target, append(opts,
		grpc.WithTransportCredentials(cfg.creds),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second},
			MinConnectTimeout: 5 * time.Second,
		}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20), grpc.MaxCallSendMsgSize(64<<20+1<<20)),
		grpc.WithDefaultServiceConfig(serviceConfig),
		// The balancing policy is this package's, never one from DNS.
		grpc.WithDisableServiceConfig(),
	)...)
	if err != nil {
		return nil, fmt.Errorf("%w: remote URI: addr %q: %w", provider.ErrInvalidConfig, cfg.addr, err)
	}
	return conn, nil
}
