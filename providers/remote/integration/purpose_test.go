package remote_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/service"
)

// losesAnswers is a checkpoint key whose first lose answers from the
// service are lost on the way back: the service signed and kept the
// checkpoint, the writer never sees it.
type losesAnswers struct {
	audit.ProvenSigner
	lose atomic.Int32
}

func (l *losesAnswers) SignCheckpoint(ctx context.Context, text []byte, prev int64, prove func(int64) ([]tlog.Hash, error)) ([]byte, error) {
	sig, err := l.ProvenSigner.SignCheckpoint(ctx, text, prev, prove)
	if err == nil && l.lose.Add(-1) >= 0 {
		return nil, errors.New("the answer was lost")
	}
	return sig, err
}

// TestRemoteCheckpointSigner: an audit log whose checkpoint key is a
// service's key of purpose checkpoints signs every checkpoint through
// SignCheckpoint with the proof from the last one: a new log (a bootstrap),
// a reopened one (a proof from its last checkpoint), and one whose writer
// lost the answer of a checkpoint the service signed (a proof from the size
// the service names). Each log verifies with the key.
func TestRemoteCheckpointSigner(t *testing.T) {
	for _, tc := range []struct{ name, uri string }{
		{"HMAC", "hmac:seed=77"},
		{"ECDSA", "ectest:seed=77"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			state := filepath.Join(t.TempDir(), "log.ckstate")
			if err := service.InitCheckpointState(state); err != nil {
				t.Fatal(err)
			}
			f := startKeys(t, map[string]service.Key{"log": {URI: tc.uri, Purpose: service.PurposeCheckpoints, State: state}})
			ck, err := provider.Open(ctx, f.uri("log", f.trader))
			if err != nil {
				t.Fatal(err)
			}
			defer ck.Close()
			if _, err := ck.Sign(ctx, []byte("chosen bytes")); !errors.Is(err, provider.ErrPermissionDenied) {
				t.Fatalf("Sign on the checkpoints key: %v", err)
			}
			ring, err := provider.NewKeyring(ck)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "audit.log")
			write := func(signer provider.Signer, records int) audit.Stats {
				t.Helper()
				w, _, err := audit.Open(path, audit.Options{Signer: signer, Durability: audit.Always, CheckpointEvery: 10})
				if err != nil {
					t.Fatal(err)
				}
				for range records {
					if err := w.Append(audit.TypeNote, 1, []byte("a note")); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				rep, err := audit.VerifyFile(ctx, path, ring)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Checkpoints < 2 {
					t.Fatalf("%d checkpoints", rep.Checkpoints)
				}
				return w.Stats()
			}
			write(ck, 35)
			write(ck, 20)
			lossy := &losesAnswers{ProvenSigner: ck.(audit.ProvenSigner)}
			lossy.lose.Store(1)
			// The answer to the checkpoint of Open is lost, so Open fails;
			// the next Open proves its tree from the size the service kept.
			if _, _, err := audit.Open(path, audit.Options{Signer: lossy, Durability: audit.Always}); err == nil {
				t.Fatal("Open with its checkpoint's answer lost succeeded")
			}
			write(lossy, 30)
		})
	}
}

// TestRemoteOrdersAndAcksKeys: a venue.Sealer of a remote key of purpose
// orders seals through SignOrder, byte for byte as a Sealer of the key in
// process; a venue.AckSigner of one of purpose acks signs through SignAck,
// and VerifyAck accepts the ack with the key in process.
func TestRemoteOrdersAndAcksKeys(t *testing.T) {
	ctx := context.Background()
	f := startKeys(t, map[string]service.Key{
		"orders": {URI: "hmac:seed=42", Purpose: service.PurposeOrders, MaxSkew: time.Hour},
		"acks":   {URI: "hmac:seed=43", Purpose: service.PurposeAcks},
	})
	open := func(uri string) provider.Key {
		k, err := provider.Open(ctx, uri)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.Close() })
		return k
	}
	o := order.Order{ClientOrderID: "c-1", Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Market,
		Quantity: 10, TimeInForce: order.IOC, Timestamp: time.Now().UnixNano()}
	ord, err := o.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	seal := func(k provider.Signer) []byte {
		s, err := venue.NewSealer(k)
		if err != nil {
			t.Fatal(err)
		}
		env, err := s.Seal(ctx, ord)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Clone(env)
	}
	env := seal(open(f.uri("orders", f.trader)))
	if want := seal(open("hmac:seed=42")); !bytes.Equal(env, want) {
		t.Fatalf("remote seal %x, want %x", env, want)
	}
	as, err := venue.NewAckSigner(open(f.uri("acks", f.trader)))
	if err != nil {
		t.Fatal(err)
	}
	a := venue.Ack{Status: 1, VenueOrderID: 7, VenueTime: 8}
	if a.Signed, err = as.Sign(ctx, a, []byte("c-1"), env); err != nil {
		t.Fatal(err)
	}
	if err := venue.VerifyAck(ctx, open("hmac:seed=43"), a, []byte("c-1"), env); err != nil {
		t.Fatalf("VerifyAck: %v", err)
	}
}
