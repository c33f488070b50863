package vaulttransit

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strconv"

	"github.com/hashicorp/vault/api"

	"github.com/tinywindow/tinywindow/internal/cloudkey"
	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/provider"
)

// publicKey is a key version's public key, read from the keys endpoint.
type publicKey struct {
	der []byte // DER SubjectPublicKeyInfo
	key crypto.PublicKey
}

// keyDesc is what the keys endpoint says of a Transit key.
type keyDesc struct {
	typ      string
	latest   int
	versions map[string]any // version -> {public_key, …} or, for hmac, a time
	data     map[string]any // the whole answer, for provenance
}

// readKey reads the keys endpoint of the key.
func readKey(ctx context.Context, c *api.Client, o *options) (*keyDesc, error) {
	s, err := c.Logical().ReadWithContext(ctx, o.mount+"/keys/"+o.key)
	if err != nil {
		return nil, opError("read keys", o.key, err)
	}
	if s == nil || s.Data == nil {
		return nil, &provider.OpError{Backend: Scheme, Op: "read keys", Key: o.key, Kind: provider.ErrKeyNotFound, Err: fmt.Errorf("no Transit key at %s/keys/%s", o.mount, o.key), Remedy: remedy(provider.ErrKeyNotFound)}
	}
	d := &keyDesc{data: s.Data}
	d.typ, _ = s.Data["type"].(string)
	d.latest = number(s.Data["latest_version"])
	d.versions, _ = s.Data["keys"].(map[string]any)
	if d.typ == "" || d.latest < 1 || d.versions == nil {
		return nil, provider.OpErrorf(Scheme, "read keys", o.key, provider.ErrUnavailable, "the answer lacks type, latest_version or keys")
	}
	return d, nil
}

func number(v any) int {
	switch n := v.(type) {
	case json.Number:
		i, _ := strconv.Atoi(n.String())
		return i
	case float64:
		return int(n)
	}
	return 0
}

// publicKeyOf parses the public key of version v as the keys endpoint
// gives it: PEM for ECDSA and RSA, base64 for Ed25519.
func publicKeyOf(d *keyDesc, o *options, kt *keyType, v int) (*publicKey, error) {
	entry, _ := d.versions[strconv.Itoa(v)].(map[string]any)
	s, _ := entry["public_key"].(string)
	if s == "" {
		return nil, fmt.Errorf("%w: vault key %s has no public key for version %d", provider.ErrKeyNotFound, o.key, v)
	}
	var pub crypto.PublicKey
	if kt.alg == provider.Ed25519 {
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(raw) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: vault key %s version %d: the Ed25519 public key is not 32 bytes of base64", provider.ErrUnsupported, o.key, v)
		}
		pub = ed25519.PublicKey(raw)
	} else {
		block, _ := pem.Decode([]byte(s))
		if block == nil || block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("%w: vault key %s version %d: the public key is not a PEM PUBLIC KEY block", provider.ErrUnsupported, o.key, v)
		}
		var err error
		if pub, err = x509.ParsePKIXPublicKey(block.Bytes); err != nil {
			return nil, fmt.Errorf("%w: vault key %s version %d: %w", provider.ErrUnsupported, o.key, v, err)
		}
	}
	if err := stdverify.CheckKey(kt.alg, pub); err != nil {
		return nil, fmt.Errorf("vault key %s version %d: %w", o.key, v, err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: vault key %s version %d: %w", provider.ErrUnsupported, o.key, v, err)
	}
	return &publicKey{der: der, key: pub}, nil
}

// Public returns the public key: *ecdsa.PublicKey, ed25519.PublicKey or
// *rsa.PublicKey.
func (k *SignatureKey) Public() crypto.PublicKey { return k.pub.Current().key }

// PublicKeyPEM returns the public key as a PEM "PUBLIC KEY" block.
func (k *SignatureKey) PublicKeyPEM() ([]byte, error) {
	return cloudkey.PublicKeyPEM(k.Handle, k.pub.Current().der)
}

func (k *SignatureKey) publicKey(ctx context.Context) (*publicKey, error) {
	return k.pub.Get(ctx, func(ctx context.Context) (*publicKey, error) {
		d, err := readKey(ctx, k.client, k.opts)
		if err != nil {
			return nil, err
		}
		if d.typ != k.kt.vault {
			return nil, &provider.OpError{Backend: Scheme, Op: "read keys", Key: k.opts.key, Kind: provider.ErrUnsupported, Err: fmt.Errorf("the key is now of type %s, not %s", d.typ, k.kt.vault), Remedy: "reopen it"}
		}
		p, err := publicKeyOf(d, k.opts, k.kt, k.version)
		if err == nil && !bytes.Equal(p.der, k.der) {
			return nil, &provider.OpError{Backend: Scheme, Op: "read keys", Key: k.opts.key, Kind: provider.ErrUnsupported, Err: fmt.Errorf("version %d has another public key than when it was opened (was the key deleted and created again?)", k.version), Remedy: "reopen it"}
		}
		return p, err
	})
}
