package service

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"

	"github.com/tinywindow/tinywindow/internal/regularfile"
	"github.com/tinywindow/tinywindow/provider"
)

// loadTLS builds the server side of mutual TLS: TLS 1.3, the server's
// certificate, and a client certificate required. The client certificate is
// verified against the configured CAs by verifyClient (set by the caller as
// VerifyConnection), so that a refused handshake is logged with its reason.
func loadTLS(c TLSConfig) (*tls.Config, *x509.CertPool, error) {
	certPEM, err := readPEMFile("tls.cert", c.Cert)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := provider.ReadSecret(c.KeySource)
	if err != nil {
		return nil, nil, fmt.Errorf("tls.key-source: %w", err)
	}
	defer provider.Zero(keyPEM)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: tls.cert and tls.key-source do not make a certificate and its key: %w", provider.ErrInvalidConfig, err)
	}
	caPEM, err := readPEMFile("tls.client-ca", c.ClientCA)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, nil, fmt.Errorf("%w: tls.client-ca %q holds no PEM certificate", provider.ErrInvalidConfig, c.ClientCA)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequestClientCert, // required and verified by verifyClient
		NextProtos:   []string{"h2"},
	}, pool, nil
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
// the client's certificate chain against pool, for client authentication
// (the leaf must list the clientAuth extended key usage: one with none is
// refused), and logs and counts a refusal before failing the handshake.
func (s *Server) verifyClient(pool *x509.CertPool) func(tls.ConnectionState) error {
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
			Roots:         pool,
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
		return nil
	}
}

// identities returns the names a verified client certificate goes by: its
// subject CN, DNS names, URIs and e-mail addresses.
func identities(cert *x509.Certificate) []string {
	var out []string
	if cert.Subject.CommonName != "" {
		out = append(out, cert.Subject.CommonName)
	}
	out = append(out, cert.DNSNames...)
	for _, u := range cert.URIs {
		out = append(out, u.String())
	}
	return append(out, cert.EmailAddresses...)
}
