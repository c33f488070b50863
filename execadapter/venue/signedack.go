package venue

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/provider"
)

// AckDomain prefixes every message a venue signs for an ack, so that an ack
// signature can never be taken for a signature of an order, an audit
// checkpoint or anything else signed with the same key.
const AckDomain = "TinyWindow venue ack v1\x00"

// A signed ack (the body of a FrameSignedAck frame; all lengths big-endian):
//
//	ack body     19+c  as in a FrameAck frame: status, reason, venue order ID,
//	                   venue time, client order ID length c and the ID
//	order hash   32    SHA-256 of the envelope the ack answers
//	key ID       1+k   length k (1 to 64), the venue key's ID
//	algorithm    1+a   length a (1 to 32), its algorithm name
//	signature    4+s   length s (1 to 32768), the signature
//
// The signature is over AckDomain followed by every byte before the
// signature length. It binds the venue's answer to the exact signed order it
// answers, so an ack kept in an audit log proves what the venue said about
// which order.
type SignedAck struct {
	Ack           Ack
	ClientOrderID []byte
	OrderHash     []byte
	KeyID         []byte
	Algorithm     []byte
	Signature     []byte
	Signed        []byte // the bytes covered by the signature (after AckDomain)
}

// AckSigner builds signed ack frames in a buffer it reuses. It is not safe
// for concurrent use: give each goroutine its own.
type AckSigner struct {
	signer provider.Signer
	acks   AckSigningKey // the signer, when it signs acks itself
	label  []byte        // key ID and algorithm, each after its length
	msg    []byte
}

// AckSigningKey is a key that signs acks only as whole signed acks it
// builds itself, such as a signing service's key of purpose acks (package
// providers/remote), which refuses to sign any other bytes. An [AckSigner]
// of a key whose SignsAcks reports true hands it the ack.
type AckSigningKey interface {
	provider.Signer
	// SignsAcks reports whether the key signs acks only through SignAck.
	SignsAcks() bool
	// SignAck returns the body of a FrameSignedAck frame, built as
	// [AckSigner.Sign] builds it.
	SignAck(ctx context.Context, a Ack, clientOrderID, envelope []byte) ([]byte, error)
}

// NewAckSigner returns an AckSigner for the venue's key.
func NewAckSigner(signer provider.Signer) (*AckSigner, error) {
	label, err := appendKeyLabel(nil, signer.Info())
	if err != nil {
		return nil, err
	}
	s := &AckSigner{signer: signer, label: label, msg: make([]byte, 0, 256)}
	if k, ok := signer.(AckSigningKey); ok && k.SignsAcks() {
		s.acks = k
	}
	return s, nil
}

// AppendFrame appends a FrameSignedAck frame: a, the client order ID, the
// SHA-256 of envelope, and the signature (the body Sign returns).
func (s *AckSigner) AppendFrame(ctx context.Context, dst []byte, a Ack, clientOrderID, envelope []byte) ([]byte, error) {
	body, err := s.Sign(ctx, a, clientOrderID, envelope)
	if err != nil {
		return dst, err
	}
	return AppendFrame(dst, FrameSignedAck, body), nil
}

// Sign returns the body of a FrameSignedAck frame (see SignedAck): a, the
// client order ID, the SHA-256 of envelope, the key's ID and algorithm, and
// the signature over AckDomain and all of them. The body stays valid until
// the next call.
func (s *AckSigner) Sign(ctx context.Context, a Ack, clientOrderID, envelope []byte) ([]byte, error) {
	if len(clientOrderID) > order.MaxClientOrderID {
		return nil, fmt.Errorf("%w: client order ID of %d bytes", ErrProtocol, len(clientOrderID))
	}
	if s.acks != nil {
		return s.signRemote(ctx, a, clientOrderID, envelope)
	}
	m := append(s.msg[:0], AckDomain...)
	m = appendAckBody(m, a, clientOrderID)
	h := sha256.Sum256(envelope)
	m = append(m, h[:]...)
	m = append(m, s.label...)
	signedEnd := len(m)
	m = append(m, 0, 0, 0, 0)
	m, err := provider.SignAppend(ctx, s.signer, m, m[:signedEnd])
	if err != nil {
		return nil, err
	}
	sigLen := len(m) - signedEnd - 4
	if sigLen <= 0 || sigLen > MaxSignature {
		return nil, fmt.Errorf("%w: ack signature of %d bytes is outside 1 to %d", provider.ErrUnsupported, sigLen, MaxSignature)
	}
	binary.BigEndian.PutUint32(m[signedEnd:], uint32(sigLen))
	s.msg = m
	return m[len(AckDomain):], nil
}

// signRemote has the AckSigningKey sign the ack and checks that what it
// returns is a signed ack of this very ack, client order ID and envelope
// under the key's ID and algorithm.
func (s *AckSigner) signRemote(ctx context.Context, a Ack, clientOrderID, envelope []byte) ([]byte, error) {
	body, err := s.acks.SignAck(ctx, a, clientOrderID, envelope)
	if err != nil {
		return nil, err
	}
	sa, err := ParseSignedAck(body)
	if err != nil {
		return nil, fmt.Errorf("the key's signed ack: %w", err)
	}
	if err := sa.matches(a, clientOrderID, envelope, s.signer.Info()); err != nil {
		return nil, fmt.Errorf("the key's signed ack: %w", err)
	}
	s.msg = append(s.msg[:0], body...)
	return s.msg, nil
}

// ParseSignedAck parses the body of a FrameSignedAck frame strictly. Its
// slices alias body. It does not check the signature (see VerifyAck).
func ParseSignedAck(body []byte) (SignedAck, error) {
	var sa SignedAck
	if len(body) < ackFixed {
		return sa, fmt.Errorf("%w: signed ack of %d bytes", ErrProtocol, len(body))
	}
	n := ackFixed + int(body[ackFixed-1])
	if n > len(body) {
		return sa, fmt.Errorf("%w: signed ack client order ID length %d does not fit its %d-byte body", ErrProtocol, body[ackFixed-1], len(body))
	}
	var err error
	if sa.Ack, sa.ClientOrderID, err = ParseAck(body[:n:n]); err != nil {
		return sa, err
	}
	p := body[n:]
	take := func(n int, what string) []byte {
		if err != nil {
			return nil
		}
		if n > len(p) {
			err = fmt.Errorf("%w: signed ack %s: need %d bytes, %d remain", ErrProtocol, what, n, len(p))
			return nil
		}
		v := p[:n:n]
		p = p[n:]
		return v
	}
	length := func(size, lo, hi int, what string) int {
		if err != nil {
			return 0
		}
		if size > len(p) {
			// The message is built here, not passed to take, so that a
			// well-formed ack allocates nothing for it.
			err = fmt.Errorf("%w: signed ack %s length: need %d bytes, %d remain", ErrProtocol, what, size, len(p))
			return 0
		}
		v := p[:size]
		p = p[size:]
		var l int
		if size == 1 {
			l = int(v[0])
		} else {
			l = int(binary.BigEndian.Uint32(v))
		}
		if l < lo || l > hi {
			err = fmt.Errorf("%w: signed ack %s length %d is outside %d to %d", ErrProtocol, what, l, lo, hi)
		}
		return l
	}
	sa.OrderHash = take(sha256.Size, "order hash")
	sa.KeyID = take(length(1, 1, MaxKeyID, "key ID"), "key ID")
	sa.Algorithm = take(length(1, 1, MaxAlgorithm, "algorithm"), "algorithm")
	signedEnd := len(body) - len(p)
	sa.Signature = take(length(4, 1, MaxSignature, "signature"), "signature")
	if err == nil && len(p) != 0 {
		err = fmt.Errorf("%w: %d trailing bytes after the signed ack", ErrProtocol, len(p))
	}
	if err != nil {
		return SignedAck{}, err
	}
	sa.Signed = body[:signedEnd:signedEnd]
	return sa, nil
}

// matches returns nil if sa is a signed ack of ack (status, reason, venue
// order ID, venue time), the client order ID and the SHA-256 of envelope,
// under the key described by info; else an error matching ErrProtocol that
// says what differs. It does not check the signature.
func (sa *SignedAck) matches(ack Ack, clientOrderID, envelope []byte, info provider.KeyInfo) error {
	switch h := sha256.Sum256(envelope); {
	case sa.Ack.Status != ack.Status || sa.Ack.Reason != ack.Reason || sa.Ack.VenueOrderID != ack.VenueOrderID || sa.Ack.VenueTime != ack.VenueTime:
		return fmt.Errorf("%w: the signed ack (%v, %v, venue order %d) is not the ack received (%v, %v, venue order %d)",
			ErrProtocol, sa.Ack.Status, sa.Ack.Reason, sa.Ack.VenueOrderID, ack.Status, ack.Reason, ack.VenueOrderID)
	case !bytes.Equal(sa.ClientOrderID, clientOrderID):
		return fmt.Errorf("%w: the signed ack is for client order ID %q, not %q", ErrProtocol, sa.ClientOrderID, clientOrderID)
	case !bytes.Equal(sa.OrderHash, h[:]):
		return fmt.Errorf("%w: the signed ack answers another order (hash %x)", ErrProtocol, sa.OrderHash)
	case string(sa.KeyID) != info.ID || string(sa.Algorithm) != string(info.Algorithm):
		return fmt.Errorf("%w: the ack is signed by key %q (%q); the venue's key is %s (%s)", ErrProtocol, sa.KeyID, sa.Algorithm, info.ID, info.Algorithm)
	}
	return nil
}

// VerifyAck checks that ack.Signed is the venue's signature, with verifier v,
// over this very ack (status, reason, venue order ID, venue time), the
// order's client order ID and the SHA-256 of the envelope that was sent.
// Every error matches ErrProtocol; that of a bad signature also matches
// provider.ErrInvalidSignature, that of a verifier that could not decide its
// own kind (such as provider.ErrUnavailable).
func VerifyAck(ctx context.Context, v provider.Verifier, ack Ack, clientOrderID, envelope []byte) error {
	sa, err := ParseSignedAck(ack.Signed)
	if err != nil {
		return err
	}
	if err := sa.matches(ack, clientOrderID, envelope, v.Info()); err != nil {
		return err
	}
	msg := make([]byte, 0, len(AckDomain)+len(sa.Signed))
	msg = append(append(msg, AckDomain...), sa.Signed...)
	if err := v.Verify(ctx, msg, sa.Signature); err != nil {
		return fmt.Errorf("%w: venue ack signature: %w", ErrProtocol, err)
	}
	return nil
}
