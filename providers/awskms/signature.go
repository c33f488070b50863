package awskms

import (
	"context"
	"crypto"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/tinywindow/tinywindow/internal/cloudkey"
	"github.com/tinywindow/tinywindow/internal/pubcache"
	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/provider"
)

// SignatureKey is a KMS key of usage SIGN_VERIFY: ECDSA P-256 or P-384,
// RSA-PSS, or ML-DSA. Sign calls KMS; Verify checks locally with the cached
// public key, or calls KMS's Verify with verify=remote. It is safe for
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

// Deterministic reports false: KMS's ECDSA draws a fresh nonce, RSA-PSS a
// fresh salt, and ML-DSA signs hedged, so two signatures of one message
// differ.
func (k *SignatureKey) Deterministic() bool { return false }

// Sign returns the signature of msg. For ECDSA and RSA-PSS the digest is
// computed here and KMS signs it as DIGEST, so messages of any size work; an
// ECDSA signature is ASN.1 DER. For ML-DSA a message of 1 to 4096 bytes is
// sent as RAW, and any other is signed through its mu as EXTERNAL_MU.
func (k *SignatureKey) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	if err := k.Check(ctx); err != nil {
		return nil, err
	}
	if k.spec.mldsa != nil {
		return k.signMLDSA(ctx, msg)
	}
	return k.kmsSign(ctx, k.digest(msg), types.MessageTypeDigest)
}

// SignDigest signs a digest computed by the caller, for [crypto.Signer]. opts
// must name the key's hash (SHA-256 for P-256 and RSA, SHA-384 for P-384);
// for RSA it must be *rsa.PSSOptions with a salt as long as the hash, as KMS
// signs. For ML-DSA opts.HashFunc() must be zero and digest is the message,
// or, with Go 1.27, crypto.MLDSAMu and digest is a 64-byte external μ, which
// KMS signs as EXTERNAL_MU.
func (k *SignatureKey) SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := k.Check(ctx); err != nil {
		return nil, err
	}
	if opts == nil {
		return nil, fmt.Errorf("%w: awskms SignDigest: nil SignerOpts", provider.ErrInvalidConfig)
	}
	if k.spec.mldsa != nil {
		return k.signDigestMLDSA(ctx, digest, opts)
	}
	if err := stdverify.CheckSignerOpts(k.spec.alg, digest, opts); err != nil {
		return nil, fmt.Errorf("awskms SignDigest with %s: %w", k.opts.keyID, err)
	}
	return k.kmsSign(ctx, digest, types.MessageTypeDigest)
}

func (k *SignatureKey) digest(msg []byte) []byte { return stdverify.Digest(k.spec.alg, msg) }

func (k *SignatureKey) kmsSign(ctx context.Context, message []byte, mt types.MessageType) ([]byte, error) {
	out, err := k.client.Sign(ctx, &kms.SignInput{
		KeyId:            aws.String(k.opts.keyID),
		Message:          message,
		MessageType:      mt,
		SigningAlgorithm: k.spec.signing,
	})
	if err != nil {
		if mt == types.MessageTypeExternalMu && isAPIError(err, "ValidationException") {
			return nil, provider.OpErrorf(Scheme, "Sign", k.opts.keyID, provider.ErrUnsupported,
				"the endpoint refuses MessageType EXTERNAL_MU, which ML-DSA messages that are empty or over %d bytes need: %w", RawMessageLimit, err)
		}
		return nil, opError("Sign", k.opts.keyID, err)
	}
	if n := len(out.Signature); n == 0 || n > k.spec.sigSize || k.spec.alg != provider.ECDSAP256SHA256 && k.spec.alg != provider.ECDSAP384SHA384 && n != k.spec.sigSize {
		return nil, provider.OpErrorf(Scheme, "Sign", k.opts.keyID, provider.ErrUnavailable, "KMS returned a %d-byte %s signature", n, k.spec.alg)
	}
	k.noteSigner(out.KeyId)
	return out.Signature, nil
}

// Verify checks sig over msg: with the cached public key by default, under
// the rule every backend shares (internal/stdverify: an RSA-PSS salt of
// exactly 32 bytes, as AWS KMS signs), or by calling KMS's Verify with
// verify=remote. A signature of the wrong size is invalid without any call.
// An error that is not ErrInvalidSignature means the check could not be made.
func (k *SignatureKey) Verify(ctx context.Context, msg, sig []byte) error {
	if err := k.Check(ctx); err != nil {
		return err
	}
	// Remote verification needs this check before the call, so that a
	// malformed signature is invalid whatever the service makes of it
	// (local-kms answers some with InvalidKeyUsageException and ignores
	// trailing bytes).
	if err := stdverify.CheckSize(k.spec.alg, k.spec.sigSize, sig); err != nil {
		return err
	}
	if k.opts.RemoteVerify {
		return k.verifyRemote(ctx, msg, sig)
	}
	pub, err := k.publicKey(ctx)
	if err != nil {
		return err
	}
	if k.spec.mldsa != nil {
		if !k.verifyMLDSA(pub, msg, sig) {
			return fmt.Errorf("%w: %s signature does not verify with the public key of %s", provider.ErrInvalidSignature, k.spec.alg, k.opts.keyID)
		}
		return nil
	}
	if err := stdverify.Verify(k.spec.alg, pub.key, msg, sig); err != nil {
		return fmt.Errorf("awskms key %s: %w", k.opts.keyID, err)
	}
	return nil
}

func (k *SignatureKey) verifyRemote(ctx context.Context, msg, sig []byte) error {
	message, mt := k.digest(msg), types.MessageTypeDigest
	if k.spec.mldsa != nil {
		var err error
		if message, mt, err = k.mldsaMessage(ctx, msg); err != nil {
			return err
		}
	}
	out, err := k.client.Verify(ctx, &kms.VerifyInput{
		KeyId:            aws.String(k.opts.keyID),
		Message:          message,
		MessageType:      mt,
		Signature:        sig,
		SigningAlgorithm: k.spec.signing,
	})
	if err != nil {
		if isAPIError(err, "KMSInvalidSignatureException") {
			return &provider.OpError{Backend: Scheme, Op: "Verify", Key: k.opts.keyID, Kind: provider.ErrInvalidSignature, Err: err}
		}
		return opError("Verify", k.opts.keyID, err)
	}
	if !out.SignatureValid {
		return provider.OpErrorf(Scheme, "Verify", k.opts.keyID, provider.ErrInvalidSignature, "KMS answered SignatureValid=false")
	}
	return nil
}

// signMLDSA signs msg with an ML-DSA key.
func (k *SignatureKey) signMLDSA(ctx context.Context, msg []byte) ([]byte, error) {
	message, mt, err := k.mldsaMessage(ctx, msg)
	if err != nil {
		return nil, err
	}
	return k.kmsSign(ctx, message, mt)
}

// mldsaMessage chooses what KMS is sent for an ML-DSA message: the message
// itself as RAW when it is 1 to RawMessageLimit bytes, else its mu as
// EXTERNAL_MU (unless external-mu=false).
func (k *SignatureKey) mldsaMessage(ctx context.Context, msg []byte) ([]byte, types.MessageType, error) {
	if len(msg) >= 1 && len(msg) <= RawMessageLimit {
		return msg, types.MessageTypeRaw, nil
	}
	if !k.opts.externalMu {
		return nil, "", fmt.Errorf("%w: awskms: a %d-byte message cannot be sent to KMS as RAW (1 to %d bytes) and external-mu=false forbids EXTERNAL_MU; drop external-mu=false if the endpoint supports EXTERNAL_MU, or keep %s messages to 1-%d bytes",
			provider.ErrUnsupported, len(msg), RawMessageLimit, k.spec.alg, RawMessageLimit)
	}
	pub, err := k.publicKey(ctx)
	if err != nil {
		return nil, "", err
	}
	mu := MLDSAMu(&pub.tr, msg)
	return mu[:], types.MessageTypeExternalMu, nil
}

// SignAppend appends the signature of msg to dst. The KMS call allocates
// whatever dst's capacity.
func (k *SignatureKey) SignAppend(ctx context.Context, dst, msg []byte) ([]byte, error) {
	sig, err := k.Sign(ctx, msg)
	if err != nil {
		return dst, err
	}
	return append(dst, sig...), nil
}
