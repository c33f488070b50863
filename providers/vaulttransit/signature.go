package vaulttransit

import (
	"context"
	"crypto"
	"encoding/base64"
	"fmt"

	"github.com/tinywindow/tinywindow/internal/cloudkey"
	"github.com/tinywindow/tinywindow/internal/pubcache"
	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/provider"
)

// SignatureKey is a Transit key of type ecdsa-p256, ecdsa-p384, ed25519 or
// rsa-*, at one version. Sign calls the sign endpoint; Verify checks
// locally with the cached public key, or calls the verify endpoint with
// verify=remote. It is safe for concurrent use.
type SignatureKey struct {
	cloudkey.Handle
	base
	pub pubcache.Cache[publicKey]
	der []byte // the SubjectPublicKeyInfo when opened
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
// true for Ed25519 and RSA PKCS #1 v1.5, false for ECDSA and RSA-PSS.
func (k *SignatureKey) Deterministic() bool {
	return k.kt.alg == provider.Ed25519 || k.kt.alg == provider.RSAPKCS1SHA256
}

// Sign returns the signature of msg, the bytes of Vault's answer without
// its vault:vN: prefix. For ECDSA and RSA the digest is computed here and
// sent with prehashed=true, so messages of any size cost the same; an ECDSA
// signature is ASN.1 DER and an RSA-PSS salt is as long as the hash
// (salt_length=hash). Ed25519 sends the message.
func (k *SignatureKey) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	if err := k.Check(ctx); err != nil {
		return nil, err
	}
	if k.kt.hash == 0 {
		return k.sign(ctx, msg, false)
	}
	return k.sign(ctx, k.digest(msg), true)
}

// SignDigest signs a digest computed by the caller, for [crypto.Signer]. opts
// must name the key's hash; for RSA-PSS it must be *rsa.PSSOptions with a
// salt as long as the hash, and for PKCS #1 v1.5 it must not be. For
// Ed25519 opts.HashFunc() must be zero and digest is the message.
func (k *SignatureKey) SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := k.Check(ctx); err != nil {
		return nil, err
	}
	if err := stdverify.CheckSignerOpts(k.kt.alg, digest, opts); err != nil {
		return nil, fmt.Errorf("vault SignDigest with %s: %w", k.opts.key, err)
	}
	return k.sign(ctx, digest, k.kt.hash != 0)
}

func (k *SignatureKey) digest(msg []byte) []byte { return stdverify.Digest(k.kt.alg, msg) }

// params are the request fields that say how to sign or verify.
func (k *SignatureKey) params(input []byte, prehashed bool) map[string]any {
	body := map[string]any{"input": base64.StdEncoding.EncodeToString(input)}
	if prehashed {
		body["prehashed"] = true
		body["hash_algorithm"] = hashName(k.kt.hash)
	}
	switch k.kt.alg {
	case provider.ECDSAP256SHA256, provider.ECDSAP384SHA384:
		body["marshaling_algorithm"] = "asn1"
	case provider.RSAPSSSHA256:
		body["signature_algorithm"] = "pss"
		body["salt_length"] = "hash"
	case provider.RSAPKCS1SHA256:
		body["signature_algorithm"] = "pkcs1v15"
	}
	return body
}

func (k *SignatureKey) sign(ctx context.Context, input []byte, prehashed bool) ([]byte, error) {
	body := k.params(input, prehashed)
	body["key_version"] = k.version
	data, err := k.write(ctx, "sign", "sign/"+k.opts.key, body)
	if err != nil {
		return nil, err
	}
	s, _ := data["signature"].(string)
	sig, err := decodeWire(s, k.version)
	if err != nil {
		return nil, &provider.OpError{Backend: Scheme, Op: "sign", Key: k.opts.key, Kind: provider.ErrUnavailable, Err: err}
	}
	if n := len(sig); n == 0 || n > k.kt.sigSize || !k.isECDSA() && n != k.kt.sigSize {
		return nil, provider.OpErrorf(Scheme, "sign", k.opts.key, provider.ErrUnavailable, "Vault returned a %d-byte %s signature", n, k.kt.alg)
	}
	return sig, nil
}

func (k *SignatureKey) isECDSA() bool {
	return k.kt.alg == provider.ECDSAP256SHA256 || k.kt.alg == provider.ECDSAP384SHA384
}

// Verify checks sig over msg: with the cached public key by default, under
// the rule every backend shares (internal/stdverify), or by calling the
// verify endpoint with verify=remote, with sig in Vault's form for the
// handle's version. A signature of the wrong size, or for ECDSA one that is
// not strict DER, is invalid without any call. An error that is not
// ErrInvalidSignature means the check could not be made.
func (k *SignatureKey) Verify(ctx context.Context, msg, sig []byte) error {
	if err := k.Check(ctx); err != nil {
		return err
	}
	// Vault answers a signature it cannot parse with an error, not
	// valid=false: check the DER here, so that it is invalid either way.
	if err := stdverify.CheckSize(k.kt.alg, k.kt.sigSize, sig); err != nil {
		return err
	}
	if k.opts.RemoteVerify {
		return k.verifyRemote(ctx, msg, sig)
	}
	pub, err := k.publicKey(ctx)
	if err != nil {
		return err
	}
	if err := stdverify.Verify(k.kt.alg, pub.key, msg, sig); err != nil {
		return fmt.Errorf("vault key %s version %d: %w", k.opts.key, k.version, err)
	}
	return nil
}

func (k *SignatureKey) verifyRemote(ctx context.Context, msg, sig []byte) error {
	input, prehashed := msg, false
	if k.kt.hash != 0 {
		input, prehashed = k.digest(msg), true
	}
	body := k.params(input, prehashed)
	body["signature"] = encodeWire(k.version, sig)
	data, err := k.write(ctx, "verify", "verify/"+k.opts.key, body)
	if err != nil {
		return err
	}
	valid, ok := data["valid"].(bool)
	if !ok {
		return provider.OpErrorf(Scheme, "verify", k.opts.key, provider.ErrUnavailable, "the answer has no valid field")
	}
	if !valid {
		return provider.OpErrorf(Scheme, "verify", k.opts.key, provider.ErrInvalidSignature, "Vault answered valid=false for version %d", k.version)
	}
	return nil
}

// SignAppend appends the signature of msg to dst.
func (k *SignatureKey) SignAppend(ctx context.Context, dst, msg []byte) ([]byte, error) {
	sig, err := k.Sign(ctx, msg)
	if err != nil {
		return dst, err
	}
	return append(dst, sig...), nil
}
