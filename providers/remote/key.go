package remote

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/provider"
)

// Compile-time checks.
var (
	_ provider.Key            = (*Key)(nil)
	_ provider.AppendSigner   = (*Key)(nil)
	_ provider.Determinism    = (*detKey)(nil)
	_ provider.PublicKeyPEMer = (*pemKey)(nil)
	_ provider.PublicKeyer    = (*pubKey)(nil)
	_ provider.DigestSigner   = (*pubKey)(nil)
	_ provider.Determinism    = (*pubDetKey)(nil)
)

// maxSignatureBytes is larger than any signature of a known algorithm; a
// longer one is invalid without asking the service.
const maxSignatureBytes = 64 << 10

// Key is a handle to a key held by a signing service. Open returns a *Key,
// or a value embedding one that also offers the key's public key (for
// asymmetric keys) and its determinism declaration (where the service's key
// makes one).
type Key struct {
	cfg    *config
	conn   *grpc.ClientConn
	client signerpb.SignerClient
	info   provider.KeyInfo
	// serviceBackend is the backend holding the key in the service.
	serviceBackend string
	determ         signerpb.Determinism
	maxMessage     int64
	spki           []byte
	context        []byte
	purpose        string           // the service key's purpose; "" from a service without purposes
	pub            crypto.PublicKey // the parsed spki, when this Go parses it
	localVerify    bool             // pub verifies under internal/stdverify
	closed         atomic.Bool
}

func newKey(ctx context.Context, cfg *config, conn *grpc.ClientConn, client signerpb.SignerClient) (provider.Key, error) {
	k := &Key{cfg: cfg, conn: conn, client: client}
	var resp *signerpb.PublicKeyResponse
	err := k.retry(ctx, func(ctx context.Context) (err error) {
		resp, err = client.PublicKey(ctx, &signerpb.PublicKeyRequest{Key: cfg.name})
		return err
	})
	if err != nil {
		return nil, k.wrap(ctx, "open", err)
	}
	info := resp.GetInfo()
	alg, err := provider.ParseAlgorithm(info.GetAlgorithm())
	if err != nil {
		return nil, fmt.Errorf("remote key %s at %s: %w", cfg.name, cfg.addr, err)
	}
	if info.GetId() == "" {
		return nil, fmt.Errorf("%w: remote key %s at %s: the service gave no key ID", provider.ErrUnavailable, cfg.name, cfg.addr)
	}
	k.info = provider.KeyInfo{ID: info.GetId(), Algorithm: alg, Backend: Scheme, Version: info.GetVersion()}
	k.serviceBackend = info.GetBackend()
	k.determ = info.GetDeterminism()
	k.maxMessage = resp.GetMaxMessageBytes()
	k.spki = resp.GetSpki()
	k.context = resp.GetSignatureContext()
	k.purpose = info.GetPurpose()
	if len(k.spki) > 0 {
		// Go 1.27 parses an ML-DSA public key too (*mldsa.PublicKey); the
		// service verifies its signatures, which may bind a context.
		pub, err := x509.ParsePKIXPublicKey(k.spki)
		if err == nil {
			if stdverify.Supports(alg) {
				if err := matches(alg, pub); err != nil {
					return nil, fmt.Errorf("%w: remote key %s at %s: %w", provider.ErrUnsupported, cfg.name, cfg.addr, err)
				}
				k.localVerify = true
			}
			k.pub = pub
		}
	}
	det := k.determ != signerpb.Determinism_DETERMINISM_UNDECLARED
	switch {
	case k.pub != nil && det:
		return &pubDetKey{pubKey{pemKey{k}}}, nil
	case k.pub != nil:
		return &pubKey{pemKey{k}}, nil
	case len(k.spki) > 0 && det:
		return &pemDetKey{pemKey{k}}, nil
	case len(k.spki) > 0:
		return &pemKey{k}, nil
	case det:
		return &detKey{k}, nil
	}
	return k, nil
}

// matches checks that a parsed public key is of the kind alg needs, for the
// algorithms verified locally.
func matches(alg provider.Algorithm, pub crypto.PublicKey) error {
	if !stdverify.Supports(alg) {
		return fmt.Errorf("the service's %s key has a public key of type %T", alg, pub)
	}
	if err := stdverify.CheckKey(alg, pub); err != nil {
		return fmt.Errorf("the service's %s key has a public key of type %T, which does not fit the algorithm: %w", alg, pub, err)
	}
	return nil
}

// Info describes the key: its ID, algorithm and version as the service holds
// it; Backend is "remote".
func (k *Key) Info() provider.KeyInfo { return k.info }

// ServiceBackend returns the scheme of the backend that holds the key in the
// service, such as "pkcs11".
func (k *Key) ServiceBackend() string { return k.serviceBackend }

func (k *Key) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: remote key %s: %w", provider.ErrUnavailable, k.cfg.name, err)
	}
	if k.closed.Load() {
		return fmt.Errorf("%w: remote key %s", provider.ErrClosed, k.cfg.name)
	}
	return nil
}

func (k *Key) checkSize(msg []byte) error {
	if k.maxMessage > 0 && int64(len(msg)) > k.maxMessage {
		return fmt.Errorf("%w: message of %d bytes is over the signing service's limit of %d; sign a digest of it instead",
			provider.ErrUnsupported, len(msg), k.maxMessage)
	}
	return nil
}

// withTimeout bounds a call whose ctx has no deadline by the URI's timeout,
// on this side only. The returned context ends when the timeout passes, with
// context.DeadlineExceeded, so gRPC fails the call as it fails one past a
// deadline (DEADLINE_EXCEEDED) and resets its stream, which cancels the call
// in the service; but it reports no deadline, so gRPC sends the service no
// grpc-timeout header, and the service bounds the call by its max-deadline.
// A deadline the caller set is kept, and travels to the service.
func (k *Key) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	ctx, cancel := context.WithTimeout(ctx, k.cfg.timeout)
	return localDeadline{ctx}, cancel
}

// localDeadline is a context whose deadline stays with this process: it ends
// when its parent's deadline passes, but Deadline reports none.
type localDeadline struct{ context.Context }

// Deadline reports no deadline, so that gRPC does not send it.
func (localDeadline) Deadline() (time.Time, bool) { return time.Time{}, false }

// retry runs call, which must be safe to repeat, up to 1+retries times while
// it fails with a retryable error and ctx allows.
func (k *Key) retry(ctx context.Context, call func(ctx context.Context) error) error {
	ctx, cancel := k.withTimeout(ctx)
	defer cancel()
	var err error
	for attempt := 0; ; attempt++ {
		if err = call(ctx); err == nil || attempt >= k.cfg.retries || !retryable(err) {
			return err
		}
		d := time.Duration(20<<attempt)*time.Millisecond + rand.N(10*time.Millisecond)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// Sign signs msg through the service. It returns the signature as the
// answer carried it, without copying it.
func (k *Key) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	return k.sign(ctx, msg)
}

// SignAppend signs msg through the service and appends the signature to dst.
// A Sign is not retried: the service may have signed before the answer was
// lost (gRPC itself repeats a call only when it never left this process).
func (k *Key) SignAppend(ctx context.Context, dst, msg []byte) ([]byte, error) {
	sig, err := k.sign(ctx, msg)
	if err != nil {
		return dst, err
	}
	return append(dst, sig...), nil
}

func (k *Key) sign(ctx context.Context, msg []byte) ([]byte, error) {
	if err := k.check(ctx); err != nil {
		return nil, err
	}
	if err := k.checkSize(msg); err != nil {
		return nil, err
	}
	cctx, cancel := k.withTimeout(ctx)
	defer cancel()
	resp, err := k.client.Sign(cctx, &signerpb.SignRequest{Key: k.cfg.name, Message: msg})
	if err != nil {
		return nil, k.wrap(ctx, "sign", err)
	}
	return k.signature(resp)
}

// SignatureContext returns the context string the service's key binds into
// its signatures (ML-DSA and SLH-DSA with ctx=), or nil.
func (k *Key) SignatureContext() []byte { return bytes.Clone(k.context) }

// signDigest signs a digest computed by the caller through the service's
// SignDigest. Like a Sign, it is not retried.
func (k *Key) signDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := k.check(ctx); err != nil {
		return nil, err
	}
	if err := k.checkSize(digest); err != nil {
		return nil, err
	}
	req, err := signerpb.NewSignDigestRequest(k.cfg.name, digest, opts)
	if err != nil {
		return nil, fmt.Errorf("remote key %s: %w", k.cfg.name, err)
	}
	cctx, cancel := k.withTimeout(ctx)
	defer cancel()
	resp, err := k.client.SignDigest(cctx, req)
	if err != nil {
		return nil, k.wrap(ctx, "sign digest", err)
	}
	return k.signature(resp)
}

// signature checks a SignResponse and returns its signature.
func (k *Key) signature(resp *signerpb.SignResponse) ([]byte, error) {
	return k.signed("sign", resp.GetKeyId(), resp.GetSignature())
}

// signed checks the answer of a signing RPC op, the ID of the key that
// signed and what it made (a signature, an envelope, a signed ack), and
// returns what it made.
func (k *Key) signed(op, keyID string, out []byte) ([]byte, error) {
	if keyID != k.info.ID {
		return nil, fmt.Errorf("%w: remote key %s at %s now signs with key %s, not %s, which this handle opened (the service's config changed); open the key again",
			provider.ErrKeyNotFound, k.cfg.name, k.cfg.addr, keyID, k.info.ID)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: remote %s, key %s at %s: empty answer", provider.ErrUnavailable, op, k.cfg.name, k.cfg.addr)
	}
	return out, nil
}

// Verify checks sig over msg: locally for ECDSA, Ed25519 and RSA keys, with
// the public key fetched at Open and the rule every backend shares
// (internal/stdverify), and through the service otherwise.
func (k *Key) Verify(ctx context.Context, msg, sig []byte) error {
	if err := k.check(ctx); err != nil {
		return err
	}
	if len(sig) > maxSignatureBytes {
		return fmt.Errorf("%w: signature of %d bytes is longer than any %s signature", provider.ErrInvalidSignature, len(sig), k.info.Algorithm)
	}
	if k.localVerify {
		if err := stdverify.Verify(k.info.Algorithm, k.pub, msg, sig); err != nil {
			return fmt.Errorf("remote key %s: %w", k.cfg.name, err)
		}
		return nil
	}
	if err := k.checkSize(msg); err != nil {
		return err
	}
	var resp *signerpb.VerifyResponse
	err := k.retry(ctx, func(ctx context.Context) (err error) {
		resp, err = k.client.Verify(ctx, &signerpb.VerifyRequest{Key: k.cfg.name, Message: msg, Signature: sig})
		return err
	})
	if err != nil {
		return k.wrap(ctx, "verify", err)
	}
	if !resp.GetValid() {
		return provider.ErrInvalidSignature
	}
	return nil
}

// Close closes the connection to the service, and the TLS client key opened
// from key-uri. It is idempotent.
func (k *Key) Close() error {
	if k.closed.Swap(true) {
		return nil
	}
	err := k.conn.Close()
	if e := k.cfg.closeTLSKey(); err == nil {
		err = e
	}
	return err
}

type detKey struct{ *Key }

// Deterministic reports the service key's declaration.
func (k *detKey) Deterministic() bool {
	return k.determ == signerpb.Determinism_DETERMINISM_DETERMINISTIC
}

type pemKey struct{ *Key }

// PublicKeyPEM returns the public key fetched at Open.
func (k *pemKey) PublicKeyPEM() ([]byte, error) {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: k.spki}), nil
}

type pemDetKey struct{ pemKey }

func (k *pemDetKey) Deterministic() bool {
	return k.determ == signerpb.Determinism_DETERMINISM_DETERMINISTIC
}

type pubKey struct{ pemKey }

// Public returns the public key fetched at Open: with Go 1.27, an ML-DSA
// key's is an *mldsa.PublicKey.
func (k *pubKey) Public() crypto.PublicKey { return k.pub }

// SignDigest signs a digest computed by the caller, for crypto.Signer
// (provider.CryptoSigner): opts names SHA-256, SHA-384 or SHA-512 (with
// *rsa.PSSOptions for RSA-PSS), or no hash and digest is the message
// (Ed25519, ML-DSA); with Go 1.27, *mldsa.Options carries a context string
// and crypto.MLDSAMu a 64-byte external μ. The service must be built with
// Go 1.27 for those two.
func (k *pubKey) SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return k.signDigest(ctx, digest, opts)
}

type pubDetKey struct{ pubKey }

func (k *pubDetKey) Deterministic() bool {
	return k.determ == signerpb.Determinism_DETERMINISM_DETERMINISTIC
}
