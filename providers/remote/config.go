package remote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tinywindow/tinywindow/mtls"
	"github.com/tinywindow/tinywindow/provider"
)

// Defaults for the URI's optional attributes.
const (
	DefaultTimeout = 10 * time.Second
	DefaultRetries = 2
	// maxPEMSize bounds a certificate file read from a source.
	maxPEMSize = 1 << 20
)

var attrs = []string{"addr", "key", "ca-source", "cert-source", "key-source", "key-uri", "require-post-quantum", "server-name", "dns-server", "timeout", "retries", "insecure-loopback"}

// config is a parsed remote URI.
type config struct {
	// addr is the addr attribute as written; addrs are its addresses.
	addr  string
	addrs []string
	// dnsServer, if set, resolves the host of the one address.
	dnsServer string
	name      string
	creds     credentials.TransportCredentials
	timeout   time.Duration
	retries   int
	// tlsKey, if not nil, holds the client's TLS key opened from key-uri.
	tlsKey io.Closer
}

func (c *config) closeTLSKey() error {
	if c.tlsKey != nil {
		return c.tlsKey.Close()
	}
	return nil
}

// parse parses u; with keyed set, u must name a key.
func parse(ctx context.Context, u *provider.URI, keyed bool) (*config, error) {
	if err := u.Check(Scheme, attrs...); err != nil {
		return nil, err
	}
	c := &config{timeout: DefaultTimeout, retries: DefaultRetries}
	var ok bool
	if c.addr, ok = u.Get("addr"); !ok || c.addr == "" {
		return nil, fmt.Errorf("%w: remote URI has no addr; write remote:addr=HOST:PORT;key=NAME with TLS query attributes", provider.ErrInvalidConfig)
	}
	hosts, err := c.parseAddrs(u)
	if err != nil {
		return nil, err
	}
	if c.name, ok = u.Get("key"); keyed && (!ok || c.name == "") {
		return nil, fmt.Errorf("%w: remote URI has no key; add key=NAME, the key's name in the service's config", provider.ErrInvalidConfig)
	}
	if v, ok := u.Get("timeout"); ok {
		if c.timeout, err = time.ParseDuration(v); err != nil || c.timeout <= 0 {
			return nil, fmt.Errorf("%w: remote URI: timeout %q is not a positive duration such as 5s", provider.ErrInvalidConfig, v)
		}
	}
	if v, ok := u.Get("retries"); ok {
		if c.retries, err = strconv.Atoi(v); err != nil || c.retries < 0 || c.retries > 10 {
			return nil, fmt.Errorf("%w: remote URI: retries %q is not a whole number from 0 to 10", provider.ErrInvalidConfig, v)
		}
	}
	insecureLoopback := false
	if v, ok := u.Get("insecure-loopback"); ok {
		if v != "true" && v != "false" {
			return nil, fmt.Errorf("%w: remote URI: insecure-loopback must be true or false", provider.ErrInvalidConfig)
		}
		insecureLoopback = v == "true"
	}
	tlsAttrs := u.Has("ca-source") || u.Has("cert-source") || u.Has("key-source") || u.Has("key-uri") || u.Has("server-name") || u.Has("require-post-quantum")
	if insecureLoopback {
		if tlsAttrs {
			return nil, fmt.Errorf("%w: remote URI: insecure-loopback=true is plaintext; drop ca-source, cert-source, key-source, key-uri, server-name and require-post-quantum, or drop insecure-loopback", provider.ErrInvalidConfig)
		}
		for _, host := range hosts {
			if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" {
				return nil, fmt.Errorf("%w: remote URI: insecure-loopback=true only to a loopback address, not %s", provider.ErrInvalidConfig, host)
			}
		}
		c.creds = insecure.NewCredentials()
		return c, nil
	}
	tc, err := c.clientTLS(ctx, u)
	if err != nil {
		return nil, err
	}
	c.creds = credentials.NewTLS(tc)
	return c, nil
}

// clientTLS builds the client side of mutual TLS. Without server-name, each
// connection checks the host of the address it dials (set by gRPC from the
// target, or per address by target). A key opened from key-uri is left in
// c.tlsKey.
func (c *config) clientTLS(ctx context.Context, u *provider.URI) (*tls.Config, error) {
	for _, a := range []string{"ca-source", "cert-source"} {
		if !u.Has(a) {
			return nil, fmt.Errorf("%w: remote URI has no %s: mutual TLS needs ca-source, cert-source and key-source or key-uri (or insecure-loopback=true for a plaintext service on loopback)", provider.ErrInvalidConfig, a)
		}
	}
	keySrc, hasSource := u.Get("key-source")
	keyURI, hasURI := u.Get("key-uri")
	switch {
	case hasSource && hasURI:
		return nil, fmt.Errorf("%w: remote URI has both key-source and key-uri; name the client's private key once", provider.ErrInvalidConfig)
	case !hasSource && !hasURI:
		return nil, fmt.Errorf("%w: remote URI has no key-source: mutual TLS needs ca-source, cert-source and key-source or key-uri (or insecure-loopback=true for a plaintext service on loopback)", provider.ErrInvalidConfig)
	}
	requirePQ := false
	if v, ok := u.Get("require-post-quantum"); ok {
		if v != "true" && v != "false" {
			return nil, fmt.Errorf("%w: remote URI: require-post-quantum must be true or false", provider.ErrInvalidConfig)
		}
		if requirePQ = v == "true"; requirePQ {
			if err := mtls.RequirePostQuantum("remote URI: require-post-quantum"); err != nil {
				return nil, err
			}
		}
	}
	caSrc, _ := u.Get("ca-source")
	caPEM, err := readPublic("ca-source", caSrc)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%w: remote URI: ca-source %s holds no PEM certificate", provider.ErrInvalidConfig, caSrc)
	}
	certSrc, _ := u.Get("cert-source")
	certPEM, err := readPublic("cert-source", certSrc)
	if err != nil {
		return nil, err
	}
	var cert tls.Certificate
	if hasURI {
		if cert, c.tlsKey, err = mtls.CertificateFromKey(ctx, certPEM, keyURI); err != nil {
			return nil, fmt.Errorf("remote URI: cert-source and key-uri: %w", err)
		}
	} else {
		keyPEM, err := provider.ReadSecret(keySrc)
		if err != nil {
			return nil, fmt.Errorf("remote URI: key-source: %w", err)
		}
		defer provider.Zero(keyPEM)
		if cert, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
			return nil, fmt.Errorf("%w: remote URI: cert-source and key-source do not make a certificate and its key: %w", provider.ErrInvalidConfig, err)
		}
	}
	serverName, _ := u.Get("server-name")
	tc := &tls.Config{
		MinVersion:       tls.VersionTLS13,
		RootCAs:          pool,
		Certificates:     []tls.Certificate{cert},
		ServerName:       serverName,
		CurvePreferences: mtls.CurvePreferences(requirePQ),
	}
	if requirePQ {
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !mtls.PostQuantumKey(cs.PeerCertificates[0].PublicKey) {
				return errors.New("tinywindow: the service's certificate is not ML-DSA, and require-post-quantum=true")
			}
			if !mtls.PostQuantumGroup(cs.CurveID) {
				return fmt.Errorf("tinywindow: the key exchange is %v, not post-quantum, and require-post-quantum=true", cs.CurveID)
			}
			return nil
		}
	}
	return tc, nil
}

// readPublic reads a public file (a certificate) named by file:PATH or
// env:NAME.
func readPublic(attr, src string) ([]byte, error) {
	b, err := provider.ReadPublic(src, maxPEMSize)
	if err != nil {
		return nil, fmt.Errorf("remote URI: %s (file:PATH or env:NAME): %w", attr, err)
	}
	return b, nil
}
