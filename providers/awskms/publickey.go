package awskms

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/tinywindow/tinywindow/internal/cloudkey"
	"github.com/tinywindow/tinywindow/provider"
)

// publicKey is a public key fetched with GetPublicKey.
type publicKey struct {
	der    []byte           // DER SubjectPublicKeyInfo
	key    crypto.PublicKey // *ecdsa.PublicKey, *rsa.PublicKey, or circl's ML-DSA key
	std    crypto.PublicKey // ML-DSA with Go 1.27: the same key as *mldsa.PublicKey
	tr     [64]byte         // ML-DSA only: SHAKE256 of the raw public key
	keyARN string
}

// noteSigner records the key ARN a Sign answer named; a different one from
// the cached key's means the key ID now resolves to another key (an alias
// moved to a new key: rotation), and the public key is fetched again.
func (k *SignatureKey) noteSigner(keyARN *string) {
	if keyARN == nil {
		return
	}
	if p := k.pub.Current(); p != nil && p.keyARN != "" && *keyARN != p.keyARN {
		k.pub.MarkStale()
	}
}

// fetchPublicKey calls GetPublicKey and checks that the key is still the
// kind the handle was opened for.
func fetchPublicKey(ctx context.Context, client *kms.Client, keyID string, spec *keySpec) (*publicKey, error) {
	out, err := client.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		return nil, opError("GetPublicKey", keyID, err)
	}
	if out.KeySpec != spec.spec {
		return nil, &provider.OpError{Backend: Scheme, Op: "GetPublicKey", Key: keyID, Kind: provider.ErrUnsupported, Err: fmt.Errorf("the key is now a %s key, not %s", out.KeySpec, spec.spec), Remedy: "reopen it"}
	}
	p := &publicKey{der: out.PublicKey, keyARN: aws.ToString(out.KeyId)}
	if spec.mldsa != nil {
		raw, pub, err := spec.mldsa.parseSPKI(out.PublicKey)
		if err != nil {
			return nil, err
		}
		p.key, p.std, p.tr = pub, stdMLDSAPublicKey(raw), MLDSATr(raw)
		return p, nil
	}
	pub, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		return nil, provider.OpErrorf(Scheme, "GetPublicKey", keyID, provider.ErrUnsupported, "public key: %w", err)
	}
	switch pub := pub.(type) {
	case *ecdsa.PublicKey:
		want := elliptic.P256()
		if spec.hash == crypto.SHA384 {
			want = elliptic.P384()
		}
		if spec.signing != types.SigningAlgorithmSpecEcdsaSha256 && spec.signing != types.SigningAlgorithmSpecEcdsaSha384 || pub.Curve != want {
			return nil, provider.OpErrorf(Scheme, "GetPublicKey", keyID, provider.ErrUnsupported, "public key is on %s, not the curve of %s", pub.Curve.Params().Name, spec.spec)
		}
	case *rsa.PublicKey:
		if pub.Size() != spec.sigSize {
			return nil, provider.OpErrorf(Scheme, "GetPublicKey", keyID, provider.ErrUnsupported, "public key has a %d-bit modulus, not that of %s", 8*pub.Size(), spec.spec)
		}
	default:
		return nil, provider.OpErrorf(Scheme, "GetPublicKey", keyID, provider.ErrUnsupported, "public key is a %T, not a %s key", pub, spec.spec)
	}
	p.key = pub
	return p, nil
}

// Public returns the public key: *ecdsa.PublicKey, *rsa.PublicKey, or for
// ML-DSA the standard library's *mldsa.PublicKey when built with Go 1.27 and
// circl's *mldsa44.PublicKey, *mldsa65.PublicKey or *mldsa87.PublicKey when
// built with Go 1.26.
func (k *SignatureKey) Public() crypto.PublicKey {
	p := k.pub.Current()
	if p.std != nil {
		return p.std
	}
	return p.key
}

// PublicKeyPEM returns the public key as a PEM "PUBLIC KEY" block holding the
// DER SubjectPublicKeyInfo that GetPublicKey returned.
func (k *SignatureKey) PublicKeyPEM() ([]byte, error) {
	return cloudkey.PublicKeyPEM(k.Handle, k.pub.Current().der)
}

func (k *SignatureKey) publicKey(ctx context.Context) (*publicKey, error) {
	return k.pub.Get(ctx, func(ctx context.Context) (*publicKey, error) {
		return fetchPublicKey(ctx, k.client, k.opts.keyID, k.spec)
	})
}
