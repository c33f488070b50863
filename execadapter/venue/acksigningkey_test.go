package venue

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// ackingKey is an AckSigningKey over a real key, as a signing service's
// acks key is: SignAck signs with an AckSigner of the key, or of other,
// with change applied to the ack first.
type ackingKey struct {
	provider.Key
	other  provider.Signer
	change func(*Ack)
	signs  bool
	calls  int
}

func (k *ackingKey) SignsAcks() bool { return k.signs }

func (k *ackingKey) SignAck(ctx context.Context, a Ack, clientOrderID, envelope []byte) ([]byte, error) {
	k.calls++
	var s provider.Signer = k.Key
	if k.other != nil {
		s = k.other
	}
	if k.change != nil {
		k.change(&a)
	}
	as, err := NewAckSigner(s)
	if err != nil {
		return nil, err
	}
	return as.Sign(ctx, a, clientOrderID, envelope)
}

// TestAckSignerOfAckSigningKey: an AckSigner hands the ack to the SignAck
// of a key that signs acks, and returns what it made only when it is a
// signed ack of this very ack, client order ID and envelope under the key;
// a key whose SignsAcks is false signs in process. VerifyAck accepts the
// result.
func TestAckSignerOfAckSigningKey(t *testing.T) {
	ctx := context.Background()
	key := hmac.NewFromSeed(9)
	env := bytes.Repeat([]byte{1}, 80)
	a := Ack{Status: 1, VenueOrderID: 3, VenueTime: 4}
	local, err := NewAckSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	want, err := local.Sign(ctx, a, []byte("c-1"), env)
	if err != nil {
		t.Fatal(err)
	}
	want = bytes.Clone(want)
	for _, tc := range []struct {
		name      string
		key       *ackingKey
		wantCalls int
		err       error
	}{
		{"signs acks", &ackingKey{signs: true}, 1, nil},
		{"does not: signed in process", &ackingKey{signs: false}, 0, nil},
		{"another ack", &ackingKey{signs: true, change: func(a *Ack) { a.VenueOrderID++ }}, 1, ErrProtocol},
		{"another key", &ackingKey{signs: true, other: hmac.NewFromSeed(10)}, 1, ErrProtocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.key.Key = hmac.NewFromSeed(9)
			s, err := NewAckSigner(tc.key)
			if err != nil {
				t.Fatal(err)
			}
			body, err := s.Sign(ctx, a, []byte("c-1"), env)
			switch {
			case tc.key.calls != tc.wantCalls:
				t.Fatalf("SignAck called %d times, want %d", tc.key.calls, tc.wantCalls)
			case tc.err != nil && !errors.Is(err, tc.err):
				t.Fatalf("Sign: %v, want %v", err, tc.err)
			case tc.err == nil && (err != nil || !bytes.Equal(body, want)):
				t.Fatalf("Sign: %x, %v; want %x", body, err, want)
			case tc.err == nil:
				signed := a
				signed.Signed = body
				if err := VerifyAck(ctx, key, signed, []byte("c-1"), env); err != nil {
					t.Fatalf("VerifyAck: %v", err)
				}
			}
		})
	}
}
