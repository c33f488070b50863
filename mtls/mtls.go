// Package mtls holds the mutual TLS settings that the TinyWindow signing
// service and its remote clients share: a certificate whose private key is a
// provider key (in a pqc seed file, an HSM, a KMS or any backend) used
// through provider.CryptoSigner, the key-exchange groups with X25519MLKEM768
// first, the post-quantum requirement, and the names under which a
// handshake's group and signature scheme are logged.
package mtls

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"

	"github.com/tinywindow/tinywindow/provider"
)

// CertificateFromKey returns the TLS certificate of the PEM chain certPEM
// (leaf first) whose private key is the provider key at keyURI, opened and
// used as a crypto.Signer for every handshake. The leaf's public key must be
// the key's. The returned io.Closer closes the key; call it when the
// certificate is no longer used.
func CertificateFromKey(ctx context.Context, certPEM []byte, keyURI string) (tls.Certificate, io.Closer, error) {
	var chain [][]byte
	for rest := certPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			chain = append(chain, b.Bytes)
		}
	}
	if len(chain) == 0 {
		return tls.Certificate{}, nil, fmt.Errorf("%w: the certificate file holds no PEM CERTIFICATE", provider.ErrInvalidConfig)
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("%w: certificate: %w", provider.ErrInvalidConfig, err)
	}
	if leaf.PublicKey == nil {
		return tls.Certificate{}, nil, fmt.Errorf("%w: certificate %q has a public key of an algorithm this program does not know%s", provider.ErrUnsupported, leaf.Subject, needsGo127)
	}
	k, err := provider.Open(ctx, keyURI)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("key-uri: %w", err)
	}
	cs, err := provider.CryptoSigner(context.WithoutCancel(ctx), k)
	if err != nil {
		k.Close()
		return tls.Certificate{}, nil, fmt.Errorf("key-uri: %w", err)
	}
	if eq, ok := cs.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(leaf.PublicKey) {
		k.Close()
		return tls.Certificate{}, nil, fmt.Errorf("%w: key-uri names key %s, whose public key is not the one certificate %q holds", provider.ErrInvalidConfig, k.Info().ID, leaf.Subject)
	}
	return tls.Certificate{Certificate: chain, PrivateKey: cs, Leaf: leaf}, k, nil
}

// CurvePreferences returns the key-exchange groups to offer or accept, most
// preferred first: the hybrid X25519MLKEM768 (ML-KEM-768 with X25519), then
// either the other ML-KEM hybrids (postQuantumOnly) or the classical X25519,
// P-256 and P-384 for peers without ML-KEM.
func CurvePreferences(postQuantumOnly bool) []tls.CurveID {
	if postQuantumOnly {
		return []tls.CurveID{tls.X25519MLKEM768, tls.SecP256r1MLKEM768, tls.SecP384r1MLKEM1024}
	}
	return []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384}
}

// PostQuantumGroup reports whether a key-exchange group resists a quantum
// computer (an ML-KEM hybrid).
func PostQuantumGroup(id tls.CurveID) bool {
	switch id {
	case tls.X25519MLKEM768, tls.SecP256r1MLKEM768, tls.SecP384r1MLKEM1024:
		return true
	}
	return false
}

// OffersPostQuantum reports whether a client offers a post-quantum group.
func OffersPostQuantum(hello *tls.ClientHelloInfo) bool {
	for _, id := range hello.SupportedCurves {
		if PostQuantumGroup(id) {
			return true
		}
	}
	return false
}

// SignatureScheme names the TLS 1.3 signature scheme that the key of cert
// signs a handshake with, as tls.ConnectionState does not report it: exact
// for ECDSA (the curve fixes the hash), Ed25519 and ML-DSA; an RSA key's is
// one of the RSA-PSS schemes, named "rsa_pss_rsae".
func SignatureScheme(cert *x509.Certificate) string {
	if cert == nil {
		return "none"
	}
	return signatureScheme(cert.PublicKey)
}

// classicalScheme names the TLS 1.3 signature scheme of a classical key, by
// its IANA name.
func classicalScheme(pub crypto.PublicKey) string {
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		switch p.Curve {
		case elliptic.P256():
			return "ecdsa_secp256r1_sha256"
		case elliptic.P384():
			return "ecdsa_secp384r1_sha384"
		case elliptic.P521():
			return "ecdsa_secp521r1_sha512"
		}
	case ed25519.PublicKey:
		return "ed25519"
	case *rsa.PublicKey:
		return "rsa_pss_rsae"
	}
	return "unknown"
}

// RequirePostQuantum returns an error unless this program can require
// post-quantum TLS (ML-DSA certificates need Go 1.27). what names the
// setting, for the message.
func RequirePostQuantum(what string) error {
	if !PostQuantumAvailable {
		return fmt.Errorf("%w: %s needs Go 1.27 (ML-DSA certificates, crypto/mldsa); this program was built with an older Go: build it with Go 1.27 or later (GOTOOLCHAIN=go1.27.3)", provider.ErrUnsupported, what)
	}
	return nil
}
