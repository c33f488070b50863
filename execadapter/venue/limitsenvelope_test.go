package venue

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

func limitsOrder(t testing.TB, id string) []byte {
	t.Helper()
	o := order.Order{ClientOrderID: id, Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Limit,
		Quantity: 10, Price: order.Price{Mantissa: 190, Exponent: 0}, TimeInForce: order.IOC, Timestamp: time.Now().UnixNano()}
	b, err := o.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLimitsEnvelope checks the version 3 layout: it parses, carries the
// limits hash, is signed over domain ‖ everything before the signature
// length (the hash included), verifies with an Opener and at the venue, and
// refuses every cut, trailing byte and flipped byte.
func TestLimitsEnvelope(t *testing.T) {
	ctx := context.Background()
	key := hmac.NewFromSeed(42)
	limits := sha256.Sum256([]byte("limits"))
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	ord := limitsOrder(t, "c-1")
	env, err := s.SealLimits(ctx, ord, limits)
	if err != nil {
		t.Fatal(err)
	}
	env = bytes.Clone(env)
	var e Envelope
	if err := ParseEnvelope(env, &e); err != nil {
		t.Fatal(err)
	}
	if e.Version != LimitsEnvelopeVersion || !bytes.Equal(e.Limits, limits[:]) || !bytes.Equal(e.Order, ord) {
		t.Fatalf("parsed version %d, limits %x, order %x", e.Version, e.Limits, e.Order)
	}
	sigAt := len(env) - 4 - 32 // HMAC-SHA256: 32-byte signature
	if !bytes.Equal(env[sigAt-32:sigAt], limits[:]) {
		t.Fatalf("limits hash is not right before the signature length")
	}
	msg := append([]byte(OrderDomain), env[:sigAt]...)
	if err := key.Verify(ctx, msg, e.Signature); err != nil {
		t.Fatalf("signature is not over domain ‖ head ‖ limits hash: %v", err)
	}
	keys, _ := provider.NewKeyring(key)
	op := NewOpener(keys)
	if err := op.Verify(ctx, &e); err != nil {
		t.Fatal(err)
	}
	sim, _ := NewSim(SimOptions{Keys: keys})
	if ack, err := sim.Submit(ctx, env, nil); err != nil || ack.Status != Accepted {
		t.Fatalf("venue: %+v, %v; want accepted", ack, err)
	}
	for i := range len(env) {
		if err := ParseEnvelope(env[:i], &e); !errors.Is(err, ErrEnvelope) {
			t.Fatalf("cut at %d: %v", i, err)
		}
	}
	if err := ParseEnvelope(append(bytes.Clone(env), 0), &e); !errors.Is(err, ErrEnvelope) {
		t.Fatalf("trailing byte: %v", err)
	}
	for i := range env {
		bad := bytes.Clone(env)
		bad[i] ^= 0x20
		var v order.View
		err := ParseEnvelope(bad, &e)
		if err == nil {
			err = order.Parse(e.Order, &v)
		}
		if err == nil {
			err = op.Verify(ctx, &e)
		}
		if err == nil {
			t.Fatalf("flip at byte %d accepted", i)
		}
	}
	// The same Sealer still seals version 1, and a version 1 envelope has
	// no limits hash.
	v1, err := s.Seal(ctx, ord)
	if err != nil {
		t.Fatal(err)
	}
	if err := ParseEnvelope(v1, &e); err != nil || e.Version != EnvelopeVersion || e.Limits != nil {
		t.Fatalf("Seal after SealLimits: version %d, limits %x, %v", e.Version, e.Limits, err)
	}
	if err := op.Verify(ctx, &e); err != nil {
		t.Fatal(err)
	}
}

// limitsSealingKey is an EnvelopeSigner that seals version 3 envelopes, as
// a signing service with pre-trade limits does.
type limitsSealingKey struct {
	provider.Key
	limits [LimitsHashSize]byte
}

func (k *limitsSealingKey) SealsOrders() bool { return true }

func (k *limitsSealingKey) SignOrder(ctx context.Context, canonical []byte) ([]byte, error) {
	sl, err := NewSealer(k.Key)
	if err != nil {
		return nil, err
	}
	return sl.SealLimits(ctx, canonical, k.limits)
}

// TestSealerOfLimitsEnvelopeSigner: a Sealer of a key that seals orders
// accepts its version 3 envelope of this order and key, and SealLimits on
// it is ErrUnsupported (the service chooses the envelope).
func TestSealerOfLimitsEnvelopeSigner(t *testing.T) {
	ctx := context.Background()
	k := &limitsSealingKey{Key: hmac.NewFromSeed(42), limits: sha256.Sum256([]byte("x"))}
	s, err := NewSealer(k)
	if err != nil {
		t.Fatal(err)
	}
	env, err := s.Seal(ctx, limitsOrder(t, "c-1"))
	if err != nil {
		t.Fatal(err)
	}
	var e Envelope
	if err := ParseEnvelope(env, &e); err != nil || e.Version != LimitsEnvelopeVersion || !bytes.Equal(e.Limits, k.limits[:]) {
		t.Fatalf("Seal through the key: version %d, limits %x, %v", e.Version, e.Limits, err)
	}
	if _, err := s.SealLimits(ctx, limitsOrder(t, "c-2"), k.limits); !errors.Is(err, provider.ErrUnsupported) {
		t.Fatalf("SealLimits on a key that seals orders: %v; want ErrUnsupported", err)
	}
}
