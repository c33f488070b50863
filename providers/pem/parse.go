package pem

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/tinywindow/tinywindow/provider"
)

// ParsePrivateKey parses one unencrypted PEM private key: a PKCS#8 "PRIVATE
// KEY", SEC 1 "EC PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY" or OpenSSH "OPENSSH
// PRIVATE KEY" block. An "EC PARAMETERS" block beside it (as `openssl ecparam
// -genkey` writes) is ignored; any other block, or a second private key, is an
// error. It returns an *ecdsa.PrivateKey, an ed25519.PrivateKey or an
// *rsa.PrivateKey. Errors never quote the data.
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	var key *pem.Block
	var types []string
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		types = append(types, fmt.Sprintf("%q", b.Type))
		switch b.Type {
		case "EC PARAMETERS":
			continue
		case "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY", "OPENSSH PRIVATE KEY":
			if key != nil {
				provider.Zero(b.Bytes)
				provider.Zero(key.Bytes)
				return nil, fmt.Errorf("%w: more than one private key; keep one key in each source", provider.ErrInvalidConfig)
			}
			key = b
		case "ENCRYPTED PRIVATE KEY":
			if key != nil {
				provider.Zero(key.Bytes)
			}
			return nil, errEncrypted
		default:
			provider.Zero(b.Bytes)
			if key != nil {
				provider.Zero(key.Bytes)
			}
			hint := ""
			if strings.HasSuffix(b.Type, "PUBLIC KEY") || b.Type == "CERTIFICATE" {
				hint = "; a pem:key-source needs the private key (a public key opens with pem:pub-source= and verifies only)"
			}
			return nil, fmt.Errorf("%w: PEM block %q is not a private key TinyWindow reads (PRIVATE KEY, EC PRIVATE KEY, RSA PRIVATE KEY, OPENSSH PRIVATE KEY)%s", provider.ErrInvalidConfig, b.Type, hint)
		}
	}
	if key == nil {
		if len(types) > 0 {
			return nil, fmt.Errorf("%w: no private key among the PEM blocks %s", provider.ErrInvalidConfig, strings.Join(types, ", "))
		}
		return nil, fmt.Errorf("%w: no PEM block; the source must hold a PEM private key with its -----BEGIN and -----END lines and line breaks (for env:NAME, export NAME=\"$(cat key.pem)\")", provider.ErrInvalidConfig)
	}
	defer provider.Zero(key.Bytes)
	if key.Headers["Proc-Type"] != "" || key.Headers["DEK-Info"] != "" {
		return nil, errEncrypted
	}
	var parsed any
	var err error
	switch key.Type {
	case "PRIVATE KEY":
		parsed, err = x509.ParsePKCS8PrivateKey(key.Bytes)
		if err != nil && strings.Contains(err.Error(), "1.2.840.113549.1.1.10") {
			err = fmt.Errorf("%w (an RSA-PSS-restricted key, as `openssl genpkey -algorithm RSA-PSS` makes, is not supported: make an RSA key with -algorithm RSA)", err)
		}
	case "EC PRIVATE KEY":
		parsed, err = x509.ParseECPrivateKey(key.Bytes)
	case "RSA PRIVATE KEY":
		parsed, err = x509.ParsePKCS1PrivateKey(key.Bytes)
	case "OPENSSH PRIVATE KEY":
		parsed, err = parseOpenSSH(key)
	}
	if err != nil {
		if errors.Is(err, errEncrypted) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: PEM %q block: %w", provider.ErrInvalidConfig, key.Type, err)
	}
	switch p := parsed.(type) {
	case *ecdsa.PrivateKey, *rsa.PrivateKey:
		return p.(crypto.Signer), nil
	case ed25519.PrivateKey:
		return p, nil
	case *ed25519.PrivateKey:
		return *p, nil
	}
	if s, ok := parsed.(crypto.Signer); ok {
		zeroPrivateKey(s)
	}
	return nil, fmt.Errorf("%w: PEM %q block holds a %T key; TinyWindow signs with Ed25519, ECDSA and RSA keys", provider.ErrUnsupported, key.Type, parsed)
}

var errEncrypted = fmt.Errorf("%w: the private key is encrypted; store it unencrypted in a file of mode 0600 (openssl pkey -in KEY -out PLAIN, or ssh-keygen -p -N '' -f KEY)", provider.ErrInvalidConfig)

// parseOpenSSH parses an OpenSSH private key block.
func parseOpenSSH(b *pem.Block) (any, error) {
	text := pem.EncodeToMemory(b)
	defer provider.Zero(text)
	k, err := ssh.ParseRawPrivateKey(text)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, errEncrypted
	}
	return k, err
}

// zeroPrivateKey overwrites what Go lets a program reach of a private key:
// the bytes of an Ed25519 key, the big-number words of ECDSA and RSA keys.
// Copies kept inside the standard library's own types are out of reach.
func zeroPrivateKey(s crypto.Signer) {
	switch p := s.(type) {
	case ed25519.PrivateKey:
		clear(p)
	case *ecdsa.PrivateKey:
		//lint:ignore SA1019 the scalar is zeroed, never read, and the key is never used again
		if d := p.D; d != nil {
			clear(d.Bits())
		}
	case *rsa.PrivateKey:
		if p.D != nil {
			clear(p.D.Bits())
		}
		for _, q := range p.Primes {
			clear(q.Bits())
		}
		for _, v := range []*big.Int{p.Precomputed.Dp, p.Precomputed.Dq, p.Precomputed.Qinv} {
			if v != nil {
				clear(v.Bits())
			}
		}
	}
}
