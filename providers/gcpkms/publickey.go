package gcpkms

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	kms "cloud.google.com/go/kms/apiv1"
	"cloud.google.com/go/kms/apiv1/kmspb"

	"github.com/tinywindow/tinywindow/internal/cloudkey"
	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// publicKey is a key version's public key, fetched with GetPublicKey.
type publicKey struct {
	der   []byte           // DER SubjectPublicKeyInfo
	key   crypto.PublicKey // *ecdsa.PublicKey, ed25519.PublicKey, *rsa.PublicKey; ML-DSA: nil
	mldsa *pqc.Key         // ML-DSA only: the verifier
	raw   []byte           // ML-DSA only: the FIPS 204 public key, for mu
}

// fetchPublicKey calls GetPublicKey for a key version and checks the answer:
// its name, algorithm and CRC32C, and that the key fits the algorithm.
func fetchPublicKey(ctx context.Context, client *kms.KeyManagementClient, o *options, name string, spec *algSpec) (*publicKey, error) {
	req := &kmspb.GetPublicKeyRequest{Name: name}
	if spec.mldsa() {
		req.PublicKeyFormat = kmspb.PublicKey_NIST_PQC
	}
	var p *publicKey
	err := o.retry(ctx, func(ctx context.Context) error {
		out, err := client.GetPublicKey(ctx, req, noGAXRetry)
		if err != nil {
			return err
		}
		if out.GetName() != name {
			return fmt.Errorf("%w: the answer names key version %q", errCorrupted, out.GetName())
		}
		if out.GetAlgorithm() != spec.kms {
			return &provider.OpError{Backend: Scheme, Op: "GetPublicKey", Key: name, Kind: provider.ErrUnsupported, Err: fmt.Errorf("the key version is now %s, not %s", out.GetAlgorithm(), spec.kms), Remedy: "reopen it"}
		}
		if spec.mldsa() {
			d := out.GetPublicKey()
			if !crcMatches(d.GetData(), d.GetCrc32CChecksum()) {
				return fmt.Errorf("%w: public key data", errCorrupted)
			}
			p, err = parseMLDSA(name, spec, d.GetData())
			return err
		}
		if !crcMatches([]byte(out.GetPem()), out.GetPemCrc32C()) {
			return fmt.Errorf("%w: public key PEM", errCorrupted)
		}
		p, err = parsePEM(name, spec, out.GetPem())
		return err
	})
	if err != nil {
		if errors.Is(err, provider.ErrUnsupported) {
			return nil, err
		}
		return nil, opError("GetPublicKey", name, err)
	}
	return p, nil
}

func parseMLDSA(name string, spec *algSpec, raw []byte) (*publicKey, error) {
	der, err := pqc.MarshalPublicKey(spec.alg, raw)
	if err != nil {
		return nil, provider.OpErrorf(Scheme, "GetPublicKey", name, provider.ErrUnsupported, "public key: %w", err)
	}
	v, err := pqc.NewVerifier(der, pqc.Options{Algorithm: spec.alg})
	if err != nil {
		return nil, provider.OpErrorf(Scheme, "GetPublicKey", name, provider.ErrUnsupported, "public key: %w", err)
	}
	return &publicKey{der: der, mldsa: v, raw: raw, key: v.Public()}, nil
}

func parsePEM(name string, spec *algSpec, s string) (*publicKey, error) {
	block, rest := pem.Decode([]byte(s))
	if block == nil || block.Type != "PUBLIC KEY" || len(bytes.TrimSpace(rest)) != 0 {
		return nil, provider.OpErrorf(Scheme, "GetPublicKey", name, provider.ErrUnsupported, "public key is not one PEM PUBLIC KEY block")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, provider.OpErrorf(Scheme, "GetPublicKey", name, provider.ErrUnsupported, "public key: %w", err)
	}
	if err := stdverify.CheckKey(spec.alg, pub); err != nil {
		return nil, fmt.Errorf("gcpkms GetPublicKey %s: %w", name, err)
	}
	if k, ok := pub.(*rsa.PublicKey); ok && k.Size() != spec.sigSize {
		return nil, provider.OpErrorf(Scheme, "GetPublicKey", name, provider.ErrUnsupported, "public key has a %d-bit modulus, not that of %s", 8*k.Size(), spec.kms)
	}
	switch pub.(type) {
	case *ecdsa.PublicKey, ed25519.PublicKey, *rsa.PublicKey:
	default:
		return nil, provider.OpErrorf(Scheme, "GetPublicKey", name, provider.ErrUnsupported, "public key is a %T", pub)
	}
	return &publicKey{der: block.Bytes, key: pub}, nil
}

// Public returns the public key: *ecdsa.PublicKey, ed25519.PublicKey,
// *rsa.PublicKey, or for ML-DSA the public key of providers/pqc.
func (k *SignatureKey) Public() crypto.PublicKey { return k.pub.Current().key }

// PublicKeyPEM returns the public key as a PEM "PUBLIC KEY" block holding
// its DER SubjectPublicKeyInfo.
func (k *SignatureKey) PublicKeyPEM() ([]byte, error) {
	return cloudkey.PublicKeyPEM(k.Handle, k.pub.Current().der)
}

func (k *SignatureKey) publicKey(ctx context.Context) (*publicKey, error) {
	return k.pub.Get(ctx, func(ctx context.Context) (*publicKey, error) {
		return fetchPublicKey(ctx, k.client, k.opts, k.version, k.spec)
	})
}
