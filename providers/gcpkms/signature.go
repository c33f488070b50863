package gcpkms

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"

	"cloud.google.com/go/kms/apiv1/kmspb"

	"github.com/tinywindow/tinywindow/internal/cloudkey"
	"github.com/tinywindow/tinywindow/internal/pubcache"
	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// SignatureKey is a Cloud KMS key version of purpose ASYMMETRIC_SIGN: ECDSA
// P-256 or P-384, Ed25519, RSA-PSS, RSA PKCS #1 v1.5 or ML-DSA. Sign calls
// AsymmetricSign; Verify checks locally with the cached public key (Cloud
// KMS has no method that verifies asymmetric signatures). It is safe for
// concurrent use.
type SignatureKey struct {
	cloudkey.Handle
	base
	pub pubcache.Cache[publicKey]
}

var (
	_ provider.Key            = (*SignatureKey)(nil)
	_ provider.PublicKeyer    = (*SignatureKey)(nil)
	_ provider.PublicKeyPEMer = (*SignatureKey)(nil)
	_ provider.DigestSigner   = (*SignatureKey)(nil)
	_ provider.AppendSigner   = (*SignatureKey)(nil)
	_ provider.Determinism    = (*SignatureKey)(nil)
)

// Deterministic reports whether two signatures of one message are equal:
// true for Ed25519 and RSA PKCS #1 v1.5, false for ECDSA (a fresh nonce),
// RSA-PSS (a fresh salt) and ML-DSA (hedged).
func (k *SignatureKey) Deterministic() bool {
	return k.spec.alg == provider.Ed25519 || k.spec.alg == provider.RSAPKCS1SHA256
}

// Sign returns the signature of msg. For ECDSA and RSA the digest is
// computed here and Cloud KMS signs it, so messages of any size work; an
// ECDSA signature is ASN.1 DER. Ed25519 and ML-DSA keys sign the message
// itself, of at most DataLimit bytes; ML-DSA _EXTERNAL_MU keys sign mu,
// computed here, for messages of any size.
func (k *SignatureKey) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	if err := k.Check(ctx); err != nil {
		return nil, err
	}
	req, err := k.request(ctx, msg)
	if err != nil {
		return nil, err
	}
	return k.asymmetricSign(ctx, req)
}

// SignDigest signs a digest computed by the caller, for [crypto.Signer]. opts
// must name the key's hash (SHA-256, or SHA-384 for P-384); for RSA-PSS it
// must be *rsa.PSSOptions with a salt as long as the hash, as Cloud KMS
// signs, and for PKCS #1 v1.5 it must not be. For Ed25519 and ML-DSA
// opts.HashFunc() must be zero and digest is the message.
func (k *SignatureKey) SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := k.Check(ctx); err != nil {
		return nil, err
	}
	if err := stdverify.CheckSignerOpts(k.spec.alg, digest, opts); err != nil {
		return nil, fmt.Errorf("gcpkms SignDigest with %s: %w", k.version, err)
	}
	if k.spec.hash == 0 {
		return k.Sign(ctx, digest)
	}
	return k.asymmetricSign(ctx, k.digestRequest(digest))
}

// request builds the AsymmetricSign request for msg, with its CRC32C.
func (k *SignatureKey) request(ctx context.Context, msg []byte) (*kmspb.AsymmetricSignRequest, error) {
	switch {
	case k.spec.hash == crypto.SHA384:
		d := sha512.Sum384(msg)
		return k.digestRequest(d[:]), nil
	case k.spec.hash == crypto.SHA256:
		d := sha256.Sum256(msg)
		return k.digestRequest(d[:]), nil
	case k.spec.externalMu:
		pub, err := k.publicKey(ctx)
		if err != nil {
			return nil, err
		}
		tr := pqc.PublicKeyHash(pub.raw)
		mu := pqc.ExternalMu(&tr, msg)
		return &kmspb.AsymmetricSignRequest{Name: k.version, Data: mu[:], DataCrc32C: crc32c(mu[:])}, nil
	}
	if err := k.checkLength(msg); err != nil {
		return nil, err
	}
	return &kmspb.AsymmetricSignRequest{Name: k.version, Data: msg, DataCrc32C: crc32c(msg)}, nil
}

func (k *SignatureKey) digestRequest(d []byte) *kmspb.AsymmetricSignRequest {
	req := &kmspb.AsymmetricSignRequest{Name: k.version, DigestCrc32C: crc32c(d)}
	if k.spec.hash == crypto.SHA384 {
		req.Digest = &kmspb.Digest{Digest: &kmspb.Digest_Sha384{Sha384: d}}
	} else {
		req.Digest = &kmspb.Digest{Digest: &kmspb.Digest_Sha256{Sha256: d}}
	}
	return req
}

// asymmetricSign calls AsymmetricSign and checks the answer's integrity as
// Google documents: the service verified the request's CRC32C, names the
// version asked for, and the signature matches its CRC32C. A failed check
// is retried like an unavailable service.
func (k *SignatureKey) asymmetricSign(ctx context.Context, req *kmspb.AsymmetricSignRequest) ([]byte, error) {
	var sig []byte
	err := k.opts.retry(ctx, func(ctx context.Context) error {
		out, err := k.client.AsymmetricSign(ctx, req, noGAXRetry)
		if err != nil {
			return err
		}
		switch {
		case out.GetName() != k.version:
			return fmt.Errorf("%w: the answer names key version %q", errCorrupted, out.GetName())
		case req.Digest != nil && !out.GetVerifiedDigestCrc32C():
			return fmt.Errorf("%w: the service did not verify the digest's CRC32C", errCorrupted)
		case req.Digest == nil && !out.GetVerifiedDataCrc32C():
			return fmt.Errorf("%w: the service did not verify the data's CRC32C", errCorrupted)
		case !crcMatches(out.GetSignature(), out.GetSignatureCrc32C()):
			return fmt.Errorf("%w: signature", errCorrupted)
		}
		sig = out.GetSignature()
		return nil
	})
	if err != nil {
		return nil, opError("AsymmetricSign", k.version, err)
	}
	if n := len(sig); n == 0 || n > k.spec.sigSize || !k.isECDSA() && n != k.spec.sigSize {
		return nil, provider.OpErrorf(Scheme, "AsymmetricSign", k.version, provider.ErrUnavailable, "Cloud KMS returned a %d-byte %s signature", n, k.spec.alg)
	}
	return sig, nil
}

func (k *SignatureKey) isECDSA() bool {
	return k.spec.alg == provider.ECDSAP256SHA256 || k.spec.alg == provider.ECDSAP384SHA384
}

// Verify checks sig over msg with the cached public key: under the rule
// every backend shares (internal/stdverify: an RSA-PSS salt of exactly 32
// bytes, as Cloud KMS signs), or for ML-DSA with providers/pqc. A signature
// of the wrong size is invalid at once. An error that is not
// ErrInvalidSignature means the check could not be made.
func (k *SignatureKey) Verify(ctx context.Context, msg, sig []byte) error {
	if err := k.Check(ctx); err != nil {
		return err
	}
	if err := stdverify.CheckSize(k.spec.alg, k.spec.sigSize, sig); err != nil {
		return err
	}
	pub, err := k.publicKey(ctx)
	if err != nil {
		return err
	}
	if pub.mldsa != nil {
		if err := pub.mldsa.Verify(ctx, msg, sig); err != nil {
			if errors.Is(err, provider.ErrInvalidSignature) {
				return fmt.Errorf("gcpkms key %s: %w", k.version, err)
			}
			return fmt.Errorf("%w: gcpkms key %s: %w", provider.ErrUnavailable, k.version, err)
		}
		return nil
	}
	if err := stdverify.Verify(k.spec.alg, pub.key, msg, sig); err != nil {
		return fmt.Errorf("gcpkms key %s: %w", k.version, err)
	}
	return nil
}

// SignAppend appends the signature of msg to dst. The client allocates
// whatever dst's capacity.
func (k *SignatureKey) SignAppend(ctx context.Context, dst, msg []byte) ([]byte, error) {
	sig, err := k.Sign(ctx, msg)
	if err != nil {
		return dst, err
	}
	return append(dst, sig...), nil
}
