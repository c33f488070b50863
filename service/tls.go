package service

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/tinywindow/tinywindow/internal/regularfile"
	"github.com/tinywindow/tinywindow/mtls"
	"github.com/tinywindow/tinywindow/provider"
)

// serverTLS is the server side of mutual TLS of one state.
type serverTLS struct {
	config *tls.Config
	pool   *x509.CertPool
	// key, if not nil, holds the provider key of tls.key-uri.
	key io.Closer
	// scheme is the signature scheme of the server's certificate.
	scheme    string
	requirePQ bool
}

// loadTLS builds the server side of mutual TLS: TLS 1.3, the server's
// certificate (its key from key-source or key-uri), X25519MLKEM768 first,
// and a client certificate required. The client certificate is verified
// against the configured CAs by verifyClient (set by the caller as
// VerifyConnection), so that a refused handshake is logged with its reason.
func loadTLS(ctx context.Context, cfg *Config) (_ *serverTLS, err error) {
	c := cfg.TLS
	certPEM, err := readPEMFile("tls.cert", c.Cert)
	if err != nil {
		return nil, err
	}
	st := &serverTLS{requirePQ: c.RequirePostQuantum}
	var cert tls.Certificate
	if c.KeyURI != "" {
		u, err := cfg.withBackend(c.KeyURI)
		if err != nil {
			return nil, fmt.Errorf("tls.key-uri: %w", err)
		}
		if cert, st.key, err = mtls.CertificateFromKey(ctx, certPEM, u.String()); err != nil {
			return nil, fmt.Errorf("tls.cert and tls.key-uri: %w", err)
		}
		defer func() {
			if err != nil {
				st.key.Close()
			}
		}()
	} else {
		keyPEM, err := provider.ReadSecret(c.KeySource)
		if err != nil {
			return nil, fmt.Errorf("tls.key-source: %w", err)
		}
		defer provider.Zero(keyPEM)
		if cert, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
			return nil, fmt.Errorf("%w: tls.cert and tls.key-source do not make a certificate and its key: %w", provider.ErrInvalidConfig, err)
		}
	}
	if c.RequirePostQuantum && !mtls.PostQuantumKey(cert.Leaf.PublicKey) {
		return nil, fmt.Errorf("%w: tls.require-post-quantum: the server certificate's key is %v, not ML-DSA; issue it for an ML-DSA key (tinywindow cert)", provider.ErrInvalidConfig, cert.Leaf.PublicKeyAlgorithm)
	}
	st.scheme = mtls.SignatureScheme(cert.Leaf)
	caPEM, err := readPEMFile("tls.client-ca", c.ClientCA)
	if err != nil {
		return nil, err
	}
	st.pool = x509.NewCertPool()
	if !st.pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%w: tls.client-ca %q holds no PEM certificate", provider.ErrInvalidConfig, c.ClientCA)
	}
	st.config = &tls.Config{
		MinVersion:       tls.VersionTLS13,
		Certificates:     []tls.Certificate{cert},
		ClientAuth:       tls.RequestClientCert, // required and verified by verifyClient
		NextProtos:       []string{"h2"},
		CurvePreferences: mtls.CurvePreferences(c.RequirePostQuantum),
	}
	return st, nil
}

// checkHello refuses, under tls.require-post-quantum, a client that offers
// no post-quantum key exchange, logging and counting the refusal.
func (s *Server) checkHello(st *serverTLS, hello *tls.ClientHelloInfo) error {
	if st.requirePQ && !mtls.OffersPostQuantum(hello) {
		s.refuse(nil, "the client offers no post-quantum key exchange (tls.require-post-quantum)")
		return errors.New("tinywindow: post-quantum key exchange (X25519MLKEM768) required")
	}
	return nil
}

// maxPEMFile bounds a certificate file of the configuration.
const maxPEMFile = 1 << 20

// readPEMFile reads the certificate file at path, named by the config field
// field. It must be a regular file: a named pipe or a device is refused at
// once.
func readPEMFile(field, path string) ([]byte, error) {
	b, err := regularfile.ReadFile(path, maxPEMFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %q: %w", provider.ErrInvalidConfig, field, path, err)
	}
	return b, nil
}

// verifyClient returns a tls.Config.VerifyConnection function that verifies
// the client's certificate chain against the state's pool, for client
// authentication (the leaf must list the clientAuth extended key usage: one
// with none is refused; under tls.require-post-quantum, its key must be
// ML-DSA), and logs and counts a refusal before failing the handshake. It
// logs and counts an accepted handshake with its key-exchange group and
// signature schemes.
func (s *Server) verifyClient(st *serverTLS) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			s.refuse(nil, "no client certificate")
			return errors.New("tinywindow: a client certificate is required")
		}
		leaf := cs.PeerCertificates[0]
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := leaf.Verify(x509.VerifyOptions{
			Roots:         st.pool,
			Intermediates: inter,
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		})
		if err != nil {
			s.refuse(identities(leaf), err.Error())
			return fmt.Errorf("tinywindow: client certificate refused: %w", err)
		}
		// Verify lets a certificate with no extended key usage at all pass
		// as if it allowed every usage; the service wants client
		// authentication named.
		if !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
			const why = "the certificate does not list the clientAuth extended key usage; issue it with extendedKeyUsage=clientAuth"
			s.refuse(identities(leaf), why)
			return errors.New("tinywindow: client certificate refused: " + why)
		}
		if st.requirePQ && !mtls.PostQuantumKey(leaf.PublicKey) {
			s.refuse(identities(leaf), fmt.Sprintf("the client certificate's key is %v, not ML-DSA (tls.require-post-quantum)", leaf.PublicKeyAlgorithm))
			return errors.New("tinywindow: client certificate refused: an ML-DSA certificate is required")
		}
		s.handshake(identities(leaf), cs.CurveID, mtls.SignatureScheme(leaf), st.scheme)
		return nil
	}
}
