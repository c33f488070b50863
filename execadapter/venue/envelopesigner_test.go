package venue

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// sealingKey is an EnvelopeSigner over a real key, as a signing service's
// orders key is: SignOrder seals with a Sealer of the key, or of other,
// with swap applied to the order first.
type sealingKey struct {
	provider.Key
	other provider.Signer // seals instead of Key, when not nil
	swap  func([]byte) []byte
	seals bool
	calls int
}

func (k *sealingKey) SealsOrders() bool { return k.seals }

func (k *sealingKey) SignOrder(ctx context.Context, canonical []byte) ([]byte, error) {
	k.calls++
	var s provider.Signer = k.Key
	if k.other != nil {
		s = k.other
	}
	if k.swap != nil {
		canonical = k.swap(canonical)
	}
	sl, err := NewSealer(s)
	if err != nil {
		return nil, err
	}
	return sl.Seal(ctx, canonical)
}

// TestSealerOfEnvelopeSigner: a Sealer hands the order to the SignOrder
// of a key that seals orders, and returns its envelope only when it holds
// this very order under the key's ID and algorithm; a key whose
// SealsOrders is false is signed in process.
func TestSealerOfEnvelopeSigner(t *testing.T) {
	ctx := context.Background()
	o := order.Order{ClientOrderID: "c-1", Account: "ACC-1", Symbol: "AAPL", Side: order.Sell, Type: order.Market,
		Quantity: 10, TimeInForce: order.IOC, Timestamp: time.Now().UnixNano()}
	ord, err := o.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	local, err := NewSealer(hmac.NewFromSeed(42))
	if err != nil {
		t.Fatal(err)
	}
	want, err := local.Seal(ctx, ord)
	if err != nil {
		t.Fatal(err)
	}
	want = bytes.Clone(want)
	other := o
	other.Quantity = 11
	otherOrd, _ := other.MarshalBinary()
	for _, tc := range []struct {
		name      string
		key       *sealingKey
		wantCalls int
		err       error
	}{
		{"seals", &sealingKey{seals: true}, 1, nil},
		{"does not seal: signed in process", &sealingKey{seals: false}, 0, nil},
		{"another order", &sealingKey{seals: true, swap: func([]byte) []byte { return otherOrd }}, 1, ErrEnvelope},
		{"another key", &sealingKey{seals: true, other: hmac.NewFromSeed(43)}, 1, ErrEnvelope},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.key.Key = hmac.NewFromSeed(42)
			s, err := NewSealer(tc.key)
			if err != nil {
				t.Fatal(err)
			}
			env, err := s.Seal(ctx, ord)
			switch {
			case tc.key.calls != tc.wantCalls:
				t.Fatalf("SignOrder called %d times, want %d", tc.key.calls, tc.wantCalls)
			case tc.err != nil && !errors.Is(err, tc.err):
				t.Fatalf("Seal: %v, want %v", err, tc.err)
			case tc.err == nil && (err != nil || !bytes.Equal(env, want)):
				t.Fatalf("Seal: %x, %v; want %x", env, err, want)
			}
		})
	}
}
