package venue

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/provider"
)

// EnvelopeVersion is the version of the signed-order envelope.
const EnvelopeVersion = 1

// OrderDomain prefixes every signed order message, so that an order
// signature can never be taken for a signature of anything else (an audit
// checkpoint, a message of another protocol, a bare order without its key
// ID and algorithm).
const OrderDomain = "TinyWindow signed order v1\x00"

// Bounds of the envelope's fields.
const (
	MaxKeyID     = 64
	MaxAlgorithm = 32
	MaxSignature = 1 << 15 // SLH-DSA-SHA2-128f signatures are 17088 bytes
	// MaxEnvelope bounds a whole envelope.
	MaxEnvelope = 1 + 1 + MaxKeyID + 1 + MaxAlgorithm + 2 + order.MaxSize + LimitsHashSize + 4 + MaxSignature
)

// ErrEnvelope is matched by every error about a malformed envelope.
var ErrEnvelope = errors.New("malformed signed-order envelope")

// Envelope is a parsed signed order; its slices alias the parsed bytes.
//
// Layout (all lengths big-endian):
//
//	0    1  version = 1
//	1    1  key ID length k (1 to 64), then k bytes of key ID
//	.    1  algorithm length a (1 to 32), then a bytes of algorithm name
//	.    2  order length n, then n bytes of canonical order (docs/orders.md)
//	.    4  signature length s (1 to 32768), then s bytes of signature
//
// The signature is over OrderDomain followed by every byte of the envelope
// before the signature length: version, key ID, algorithm and order.
//
// Version 2 (BatchEnvelopeVersion) is batch-signed, version 3
// (LimitsEnvelopeVersion) carries the hash of the pre-trade limits that
// approved the order: see ParseEnvelope and docs/orders.md.
type Envelope struct {
	Version   byte
	KeyID     []byte
	Algorithm []byte
	Order     []byte
	Signature []byte
	Signed    []byte // the envelope bytes covered by the signature, or the leaf's (version 2)
	// Limits is, in version 3 only (LimitsEnvelopeVersion), the SHA-256 of
	// the canonical limits snapshot that approved the order (32 bytes).
	Limits []byte
	// Version 2 only (see BatchEnvelopeVersion): the batch, the leaf index, and the
	// inclusion proof (32-byte hashes).
	BatchID uint64
	Index   int
	Proof   []byte
}

// Sealer builds signed envelopes in a buffer it reuses; it does not allocate
// once warm when the signer implements provider.AppendSigner. A Sealer is not
// safe for concurrent use: give each goroutine its own.
type Sealer struct {
	signer provider.Signer
	sealer EnvelopeSigner // the signer, when it seals envelopes itself
	head   []byte         // OrderDomain, version, key ID, algorithm
	buf    []byte
}

// EnvelopeSigner is a key that signs orders only as whole envelopes it
// builds itself, such as a signing service's key of purpose orders (package
// providers/remote), which refuses to sign any other bytes. A [Sealer] of a
// key whose SealsOrders reports true hands it the canonical order.
type EnvelopeSigner interface {
	provider.Signer
	// SealsOrders reports whether the key signs orders only through
	// SignOrder.
	SealsOrders() bool
	// SignOrder returns the signed envelope of the canonical order, built
	// as [Sealer.Seal] builds it.
	SignOrder(ctx context.Context, canonical []byte) ([]byte, error)
}

// NewSealer returns a Sealer for signer.
func NewSealer(signer provider.Signer) (*Sealer, error) {
	h, err := appendKeyLabel(append([]byte(OrderDomain), EnvelopeVersion), signer.Info())
	if err != nil {
		return nil, err
	}
	s := &Sealer{signer: signer, head: h, buf: make([]byte, 0, 1024)}
	if es, ok := signer.(EnvelopeSigner); ok && es.SealsOrders() {
		s.sealer = es
	}
	return s, nil
}

// appendKeyLabel appends the key ID and the algorithm of a key, each after
// its one-byte length, as envelopes and signed acks carry them.
func appendKeyLabel(dst []byte, info provider.KeyInfo) ([]byte, error) {
	if len(info.ID) == 0 || len(info.ID) > MaxKeyID {
		return nil, fmt.Errorf("%w: key ID %q must be 1 to %d bytes", provider.ErrInvalidConfig, info.ID, MaxKeyID)
	}
	if len(info.Algorithm) == 0 || len(info.Algorithm) > MaxAlgorithm {
		return nil, fmt.Errorf("%w: algorithm %q must be 1 to %d bytes", provider.ErrInvalidConfig, info.Algorithm, MaxAlgorithm)
	}
	dst = append(dst, byte(len(info.ID)))
	dst = append(dst, info.ID...)
	dst = append(dst, byte(len(info.Algorithm)))
	return append(dst, info.Algorithm...), nil
}

// Seal signs the canonical order bytes and returns the envelope, which stays
// valid until the next call to Seal. The envelope is of version 1, or of
// version 3 when the key is an EnvelopeSigner whose signing service runs
// pre-trade checks and binds their limits (LimitsEnvelopeVersion).
func (s *Sealer) Seal(ctx context.Context, canonical []byte) ([]byte, error) {
	if s.sealer != nil && len(canonical) <= order.MaxSize {
		return s.sealRemote(ctx, canonical)
	}
	return s.seal(ctx, canonical, EnvelopeVersion, nil)
}

// seal signs an envelope of version, whose order is canonical followed by
// tail (the limits hash of version 3).
func (s *Sealer) seal(ctx context.Context, canonical []byte, version byte, tail []byte) ([]byte, error) {
	if len(canonical) > order.MaxSize {
		return nil, fmt.Errorf("%w: order of %d bytes is over %d", ErrEnvelope, len(canonical), order.MaxSize)
	}
	b := append(s.buf[:0], s.head...)
	b[len(OrderDomain)] = version
	b = binary.BigEndian.AppendUint16(b, uint16(len(canonical)))
	b = append(b, canonical...)
	b = append(b, tail...)
	signedEnd := len(b)
	b = append(b, 0, 0, 0, 0)
	b, err := provider.SignAppend(ctx, s.signer, b, b[:signedEnd])
	if err != nil {
		return nil, err
	}
	sigLen := len(b) - signedEnd - 4
	if sigLen <= 0 || sigLen > MaxSignature {
		return nil, fmt.Errorf("%w: signature of %d bytes is outside 1 to %d", provider.ErrUnsupported, sigLen, MaxSignature)
	}
	binary.BigEndian.PutUint32(b[signedEnd:], uint32(sigLen))
	s.buf = b
	return b[len(OrderDomain):], nil
}

// sealRemote has the EnvelopeSigner seal the order and checks that its
// envelope holds this very order under the signer's key ID and algorithm
// (the head a local seal would write).
func (s *Sealer) sealRemote(ctx context.Context, canonical []byte) ([]byte, error) {
	env, err := s.sealer.SignOrder(ctx, canonical)
	if err != nil {
		return nil, err
	}
	var e Envelope
	if err := ParseEnvelope(env, &e); err != nil {
		return nil, fmt.Errorf("the key's signed order: %w", err)
	}
	head := s.head[len(OrderDomain):]
	if e.Version != EnvelopeVersion && e.Version != LimitsEnvelopeVersion || !bytes.HasPrefix(env[1:], head[1:]) || !bytes.Equal(e.Order, canonical) {
		return nil, fmt.Errorf("%w: the key's signed order is not this order under key %s", ErrEnvelope, s.signer.Info().ID)
	}
	s.buf = append(s.buf[:0], env...)
	return s.buf, nil
}

// ParseEnvelope parses b strictly (no trailing bytes, every length in
// bounds), of version 1, 2 (BatchEnvelopeVersion) or 3
// (LimitsEnvelopeVersion). It does not check the
// order inside nor the signature or inclusion proof.
func ParseEnvelope(b []byte, e *Envelope) error {
	p := b
	take := func(n int, what string) ([]byte, error) {
		if len(p) < n {
			return nil, fmt.Errorf("%w: %s: need %d bytes, %d remain", ErrEnvelope, what, n, len(p))
		}
		v := p[:n:n]
		p = p[n:]
		return v, nil
	}
	v, err := take(2, "header")
	if err != nil {
		return err
	}
	if v[0] != EnvelopeVersion && v[0] != BatchEnvelopeVersion && v[0] != LimitsEnvelopeVersion {
		return fmt.Errorf("%w: version %d; want %d, %d or %d", ErrEnvelope, v[0], EnvelopeVersion, BatchEnvelopeVersion, LimitsEnvelopeVersion)
	}
	e.Version = v[0]
	if v[1] == 0 || v[1] > MaxKeyID {
		return fmt.Errorf("%w: key ID length %d is outside 1 to %d", ErrEnvelope, v[1], MaxKeyID)
	}
	if e.KeyID, err = take(int(v[1]), "key ID"); err != nil {
		return err
	}
	if v, err = take(1, "algorithm length"); err != nil {
		return err
	}
	if v[0] == 0 || v[0] > MaxAlgorithm {
		return fmt.Errorf("%w: algorithm length %d is outside 1 to %d", ErrEnvelope, v[0], MaxAlgorithm)
	}
	if e.Algorithm, err = take(int(v[0]), "algorithm"); err != nil {
		return err
	}
	if v, err = take(2, "order length"); err != nil {
		return err
	}
	if n := int(binary.BigEndian.Uint16(v)); n > order.MaxSize {
		return fmt.Errorf("%w: order length %d is over %d", ErrEnvelope, n, order.MaxSize)
	} else if e.Order, err = take(n, "order"); err != nil {
		return err
	}
	e.Limits = nil
	if e.Version == LimitsEnvelopeVersion {
		if e.Limits, err = take(LimitsHashSize, "limits hash"); err != nil {
			return err
		}
	}
	e.Signed = b[: len(b)-len(p) : len(b)-len(p)]
	if e.Version == BatchEnvelopeVersion {
		e.Signature = nil
		return parseBatchRef(p, e)
	}
	e.BatchID, e.Index, e.Proof = 0, 0, nil
	if v, err = take(4, "signature length"); err != nil {
		return err
	}
	if n := binary.BigEndian.Uint32(v); n == 0 || n > MaxSignature {
		return fmt.Errorf("%w: signature length %d is outside 1 to %d", ErrEnvelope, n, MaxSignature)
	} else if e.Signature, err = take(int(n), "signature"); err != nil {
		return err
	}
	if len(p) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrEnvelope, len(p))
	}
	return nil
}

// Opener verifies envelopes with the keys of a keyring, in a buffer it
// reuses. It is not safe for concurrent use.
type Opener struct {
	keys *provider.Keyring
	msg  []byte
}

// NewOpener returns an Opener that finds each envelope's verifier by key ID
// in keys.
func NewOpener(keys *provider.Keyring) *Opener {
	return &Opener{keys: keys, msg: append(make([]byte, 0, 512), OrderDomain...)}
}

// Verify checks e's signature with the key named by its key ID. The error
// matches provider.ErrKeyNotFound for an unknown key, ErrInvalidSignature for
// a bad signature or an algorithm that is not the key's, and anything else
// when the verifier could not decide. A batch-signed envelope (version 2) is
// checked with VerifyLeaf instead; here it is ErrNotInBatch.
func (o *Opener) Verify(ctx context.Context, e *Envelope) error {
	if e.Version == BatchEnvelopeVersion {
		return fmt.Errorf("%w: batch-signed order of batch %d is checked against its batch", ErrNotInBatch, e.BatchID)
	}
	// The key ID is only read during the lookup; an error copies it.
	v, err := o.keys.Verifier(unsafe.String(unsafe.SliceData(e.KeyID), len(e.KeyID)))
	if err != nil {
		return err
	}
	if string(v.Info().Algorithm) != string(e.Algorithm) {
		return fmt.Errorf("%w: envelope names algorithm %q but key %s is %s", provider.ErrInvalidSignature, e.Algorithm, e.KeyID, v.Info().Algorithm)
	}
	o.msg = append(o.msg[:len(OrderDomain)], e.Signed...)
	return v.Verify(ctx, o.msg, e.Signature)
}
