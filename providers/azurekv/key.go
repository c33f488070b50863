package azurekv

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azkeys"
	"github.com/tinywindow/tinywindow/internal/ecdsasig"
	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/provider"
)

// Key is a handle to one Key Vault key. Its methods are safe for concurrent
// use. Signing always goes to the vault; verifying is local with the cached
// public key, or remote with verify=remote.
//
// When the URI pins no version, the handle resolves the latest version when
// it opens and again each time its cache expires: after a rotation, Info,
// Public and the signatures it makes follow the new version, and a local
// Verify checks against the new public key. Pin version= where signatures
// must keep verifying with one key.
type Key struct {
	client *azkeys.Client
	cfg    Config

	st        atomic.Pointer[keyState]
	refreshMu sync.Mutex
	closed    atomic.Bool
}

// keyState is what GetKey told about the key; it is replaced whole when the
// cache is refreshed, so that one call sees one consistent version.
type keyState struct {
	ref     keyRef
	info    provider.KeyInfo
	alg     azkeys.SignatureAlgorithm
	hash    crypto.Hash
	pub     crypto.PublicKey // *ecdsa.PublicKey or *rsa.PublicKey
	spki    []byte
	size    int // ECDSA: bytes of r and of s; RSA: bytes of the modulus
	ec      bool
	noSign  bool // key_ops leave out sign
	expires time.Time
}

// keyRef names a key version in error messages.
type keyRef struct{ vault, name, version string }

// id returns the key's identifier as Key Vault writes it,
// https://VAULT/keys/NAME/VERSION, without /VERSION while the version is
// not known.
func (r *keyRef) id() string {
	id := strings.TrimSuffix(r.vault, "/") + "/keys/" + r.name
	if r.version != "" {
		id += "/" + r.version
	}
	return id
}

func (r *keyRef) String() string {
	if r.version == "" {
		return fmt.Sprintf("key %q (latest version) in %s", r.name, r.vault)
	}
	return fmt.Sprintf("key %q version %s in %s", r.name, r.version, r.vault)
}

var (
	_ provider.Key            = (*Key)(nil)
	_ provider.AppendSigner   = (*Key)(nil)
	_ provider.DigestSigner   = (*Key)(nil)
	_ provider.PublicKeyer    = (*Key)(nil)
	_ provider.PublicKeyPEMer = (*Key)(nil)
)

// refreshBackoff is how long a handle keeps its stale cache after a failed
// refresh before it tries GetKey again.
const refreshBackoff = 5 * time.Second

// fetch calls GetKey and builds the key's state from the answer.
func (k *Key) fetch(ctx context.Context) (*keyState, error) {
	ref := keyRef{vault: k.cfg.Vault, name: k.cfg.Name, version: k.cfg.Version}
	resp, err := k.client.GetKey(ctx, k.cfg.Name, k.cfg.Version, nil)
	if err != nil {
		return nil, mapError("GetKey", &ref, err)
	}
	jwk := resp.Key
	if jwk == nil || jwk.KID == nil || jwk.Kty == nil {
		return nil, provider.OpErrorf(Scheme, "GetKey", ref.id(), provider.ErrUnavailable, "the answer holds no key, key ID or key type")
	}
	st := &keyState{ref: ref}
	name, version, ok := parseKID(string(*jwk.KID))
	switch {
	case !ok || version == "":
		return nil, provider.OpErrorf(Scheme, "GetKey", ref.id(), provider.ErrUnavailable, "key ID %q is not https://VAULT/keys/NAME/VERSION", *jwk.KID)
	case k.cfg.Version != "" && version != k.cfg.Version:
		return nil, provider.OpErrorf(Scheme, "GetKey", ref.id(), provider.ErrUnavailable, "the vault answered with version %s", version)
	case name != k.cfg.Name:
		return nil, provider.OpErrorf(Scheme, "GetKey", ref.id(), provider.ErrUnavailable, "the vault answered with key %q", name)
	}
	st.ref.version = version
	var alg provider.Algorithm
	switch *jwk.Kty {
	case azkeys.KeyTypeEC, azkeys.KeyTypeECHSM:
		if alg, err = st.setEC(jwk); err != nil {
			return nil, err
		}
		if k.cfg.Algorithm != "" && k.cfg.Algorithm != alg {
			return nil, fmt.Errorf("%w: azurekv %s is an EC key on %s, which signs with %s, not alg=%s; drop alg= or fix it",
				provider.ErrInvalidConfig, &st.ref, *jwk.Crv, alg, k.cfg.Algorithm)
		}
	case azkeys.KeyTypeRSA, azkeys.KeyTypeRSAHSM:
		if err := st.setRSA(jwk); err != nil {
			return nil, err
		}
		alg = k.cfg.Algorithm
		if alg != provider.RSAPSSSHA256 && alg != provider.RSAPKCS1SHA256 {
			return nil, fmt.Errorf("%w: azurekv %s is an RSA key; say how it signs with alg=%s (Azure's PS256) or alg=%s (RS256)",
				provider.ErrInvalidConfig, &st.ref, provider.RSAPSSSHA256, provider.RSAPKCS1SHA256)
		}
	case azkeys.KeyTypeOct, azkeys.KeyTypeOctHSM:
		return nil, fmt.Errorf("%w: azurekv %s is an octet (symmetric) key; azurekv signs with EC (P-256, P-384) or RSA keys",
			provider.ErrUnsupported, &st.ref)
	default:
		return nil, fmt.Errorf("%w: azurekv %s has key type %q; azurekv signs with EC (P-256, P-384) or RSA keys",
			provider.ErrUnsupported, &st.ref, *jwk.Kty)
	}
	st.alg, _ = azureAlgorithm(alg)
	st.hash = alg.Hash()
	if st.spki, err = x509.MarshalPKIXPublicKey(st.pub); err != nil {
		return nil, fmt.Errorf("%w: azurekv %s: encoding the public key: %w", provider.ErrUnavailable, &st.ref, err)
	}
	st.info = provider.KeyInfo{
		ID:        provider.KeyIDFromPublic(st.spki),
		Algorithm: alg,
		Backend:   Scheme,
		Version:   st.ref.version,
	}
	if len(jwk.KeyOps) > 0 {
		st.noSign = !slices.ContainsFunc(jwk.KeyOps, func(op *azkeys.KeyOperation) bool {
			return op != nil && *op == azkeys.KeyOperationSign
		})
	}
	if k.cfg.CacheTTL > 0 {
		st.expires = time.Now().Add(k.cfg.CacheTTL)
	}
	return st, nil
}

func (st *keyState) setEC(jwk *azkeys.JSONWebKey) (provider.Algorithm, error) {
	if jwk.Crv == nil {
		return "", provider.OpErrorf(Scheme, "GetKey", st.ref.id(), provider.ErrUnavailable, "EC key without a curve")
	}
	alg, curve, ok := curveAlgorithm(*jwk.Crv)
	if !ok {
		return "", fmt.Errorf("%w: azurekv %s is an EC key on %s; azurekv signs with P-256 (ES256) or P-384 (ES384)",
			provider.ErrUnsupported, &st.ref, *jwk.Crv)
	}
	size := (curve.Params().BitSize + 7) / 8
	x, y := minimal(jwk.X), minimal(jwk.Y)
	if len(x) > size || len(y) > size {
		return "", provider.OpErrorf(Scheme, "GetKey", st.ref.id(), provider.ErrUnavailable, "EC coordinates longer than %d bytes", size)
	}
	point := make([]byte, 1+2*size)
	point[0] = 4
	copy(point[1+size-len(x):1+size], x)
	copy(point[1+2*size-len(y):], y)
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return "", provider.OpErrorf(Scheme, "GetKey", st.ref.id(), provider.ErrUnavailable, "EC public key: %w", err)
	}
	st.pub, st.size, st.ec = pub, size, true
	return alg, nil
}

func (st *keyState) setRSA(jwk *azkeys.JSONWebKey) error {
	n, e := new(big.Int).SetBytes(jwk.N), new(big.Int).SetBytes(jwk.E)
	switch {
	case n.BitLen() < 2048:
		return fmt.Errorf("%w: azurekv %s is an RSA key of %d bits; azurekv needs at least 2048", provider.ErrUnsupported, &st.ref, n.BitLen())
	case n.BitLen() > 16384:
		return provider.OpErrorf(Scheme, "GetKey", st.ref.id(), provider.ErrUnavailable, "RSA modulus of %d bits", n.BitLen())
	case !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0:
		return provider.OpErrorf(Scheme, "GetKey", st.ref.id(), provider.ErrUnavailable, "RSA public exponent %v is not an odd number from 3 to 2^31-1", e)
	}
	pub := &rsa.PublicKey{N: n, E: int(e.Int64())}
	st.pub, st.size = pub, pub.Size()
	return nil
}

// Info describes the key: its ID (from its public key), algorithm, backend
// and the version in use.
func (k *Key) Info() provider.KeyInfo { return k.st.Load().info }

// Public returns the cached public key, an *ecdsa.PublicKey or an
// *rsa.PublicKey.
func (k *Key) Public() crypto.PublicKey { return k.st.Load().pub }

// PublicKeyPEM returns the public key as a PEM "PUBLIC KEY" block.
func (k *Key) PublicKeyPEM() ([]byte, error) {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: k.st.Load().spki}), nil
}

// state checks that the handle is open and ctx alive, and returns the key's
// state, refreshed with GetKey first when the cache has expired. A failed
// refresh keeps the old state, which stays correct for the version it names,
// and is tried again after refreshBackoff.
func (k *Key) state(ctx context.Context) (*keyState, error) {
	st := k.st.Load()
	if k.closed.Load() {
		return nil, &provider.OpError{Backend: Scheme, Key: st.ref.id(), Kind: provider.ErrClosed}
	}
	if err := ctx.Err(); err != nil {
		return nil, &provider.OpError{Backend: Scheme, Key: st.ref.id(), Kind: provider.ErrUnavailable, Err: err}
	}
	if st.expires.IsZero() || time.Now().Before(st.expires) || !k.refreshMu.TryLock() {
		return st, nil
	}
	defer k.refreshMu.Unlock()
	if st = k.st.Load(); time.Now().Before(st.expires) {
		return st, nil
	}
	fresh, err := k.fetch(ctx)
	if err != nil || fresh.info.Algorithm != st.info.Algorithm {
		stale := *st
		stale.expires = time.Now().Add(min(refreshBackoff, k.cfg.CacheTTL))
		k.st.Store(&stale)
		return &stale, nil
	}
	k.st.Store(fresh)
	return fresh, nil
}

// Sign hashes msg locally and has the vault sign the digest. ECDSA
// signatures are returned as ASN.1 DER, RSA signatures as they come.
func (k *Key) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	return k.SignAppend(ctx, nil, msg)
}

// SignAppend appends the signature of msg to dst.
func (k *Key) SignAppend(ctx context.Context, dst, msg []byte) ([]byte, error) {
	st, err := k.state(ctx)
	if err != nil {
		return dst, err
	}
	var buf [sha512.Size384]byte
	return k.signDigest(ctx, st, dst, digest(st.hash, msg, &buf))
}

// SignDigest signs a digest computed by the caller, for [crypto.Signer]. opts
// must name the key's hash; an RSA-PSS key needs *rsa.PSSOptions with a salt
// as long as the hash (the salt Key Vault uses), an RSA PKCS #1 v1.5 key
// plain hash options.
func (k *Key) SignDigest(ctx context.Context, d []byte, opts crypto.SignerOpts) ([]byte, error) {
	st, err := k.state(ctx)
	if err != nil {
		return nil, err
	}
	if err := stdverify.CheckSignerOpts(st.info.Algorithm, d, opts); err != nil {
		return nil, fmt.Errorf("azurekv SignDigest with %s: %w", &st.ref, err)
	}
	return k.signDigest(ctx, st, nil, d)
}

func (k *Key) signDigest(ctx context.Context, st *keyState, dst, d []byte) ([]byte, error) {
	if st.noSign {
		return dst, fmt.Errorf("%w: azurekv %s: the key's key_ops do not include sign", provider.ErrUnsupported, &st.ref)
	}
	alg := st.alg
	resp, err := k.client.Sign(ctx, st.ref.name, st.ref.version, azkeys.SignParameters{Algorithm: &alg, Value: d}, nil)
	if err != nil {
		return dst, mapError("Sign", &st.ref, err)
	}
	if resp.KID != nil {
		if _, v, ok := parseKID(string(*resp.KID)); !ok || v != st.ref.version {
			return dst, provider.OpErrorf(Scheme, "Sign", st.ref.id(), provider.ErrUnavailable, "the vault signed with key %q", *resp.KID)
		}
	}
	if st.ec {
		out, err := ecdsasig.AppendDER(dst, resp.Result, st.size)
		if err != nil {
			return dst, provider.OpErrorf(Scheme, "Sign", st.ref.id(), provider.ErrUnavailable, "from the vault: %w", err)
		}
		return out, nil
	}
	if len(resp.Result) != st.size {
		return dst, provider.OpErrorf(Scheme, "Sign", st.ref.id(), provider.ErrUnavailable, "RSA signature from the vault is %d bytes, want %d", len(resp.Result), st.size)
	}
	return append(dst, resp.Result...), nil
}

// Verify checks sig over msg: locally with the cached public key, under the
// rule every backend shares (internal/stdverify), or with the vault's verify
// operation under verify=remote. A signature of the wrong size or encoding is
// invalid without asking the vault.
func (k *Key) Verify(ctx context.Context, msg, sig []byte) error {
	st, err := k.state(ctx)
	if err != nil {
		return err
	}
	if err := stdverify.CheckSize(st.info.Algorithm, stdverify.Size(st.info.Algorithm, st.pub), sig); err != nil {
		return err
	}
	if k.cfg.Verify == VerifyRemote {
		var buf [sha512.Size384]byte
		return k.verifyRemote(ctx, st, digest(st.hash, msg, &buf), sig)
	}
	if err := stdverify.Verify(st.info.Algorithm, st.pub, msg, sig); err != nil {
		return fmt.Errorf("azurekv %s: %w", &st.ref, err)
	}
	return nil
}

func (k *Key) verifyRemote(ctx context.Context, st *keyState, d, sig []byte) error {
	value := sig
	if st.ec {
		value, _ = ecdsasig.ParseDER(sig, st.size) // CheckSize accepted it
	}
	alg := st.alg
	resp, err := k.client.Verify(ctx, st.ref.name, st.ref.version, azkeys.VerifyParameters{Algorithm: &alg, Digest: d, Signature: value}, nil)
	if err != nil {
		return mapError("Verify", &st.ref, err)
	}
	if resp.Value == nil {
		return provider.OpErrorf(Scheme, "Verify", st.ref.id(), provider.ErrUnavailable, "the answer holds no verdict")
	}
	if !*resp.Value {
		return provider.OpErrorf(Scheme, "Verify", st.ref.id(), provider.ErrInvalidSignature, "the vault rejects the %s signature", st.info.Algorithm)
	}
	return nil
}

// Close marks the handle closed; later calls fail with [provider.ErrClosed]. It is
// idempotent. The key stays in the vault.
func (k *Key) Close() error {
	k.closed.Store(true)
	return nil
}

// parseKID splits a key identifier, https://VAULT/keys/NAME/VERSION, into the
// key's name and version (empty when the identifier has none). It reports
// false when kid has not that shape. (azkeys.ID.Name panics on some
// malformed identifiers; this never does.)
func parseKID(kid string) (name, version string, ok bool) {
	_, rest, ok := strings.Cut(kid, "://")
	if !ok {
		return "", "", false
	}
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return "", "", false
	}
	path, ok := strings.CutPrefix(rest[i:], "/keys/")
	if !ok {
		return "", "", false
	}
	name, version, _ = strings.Cut(path, "/")
	if name == "" || strings.ContainsAny(version, "/?#") {
		return "", "", false
	}
	return name, version, true
}

// minimal strips the leading zero bytes of a big-endian integer.
func minimal(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b
}
