package service

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// refusedAs fails t unless err is nil or a status of code.
func refusedAs(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if err != nil && status.Code(err) != code {
		t.Fatalf("error %v is not %v", err, code)
	}
}

// FuzzParseCheckpointRequest: the SignCheckpoint decoder never panics,
// refuses with INVALID_ARGUMENT, and accepts only a canonical checkpoint
// text, a from_size within the tree and 32-byte proof hashes; checkExtends
// then decides without panicking.
func FuzzParseCheckpointRequest(f *testing.F) {
	text := audit.Checkpoint{Origin: "example.com/log", Tree: tlog.Tree{N: 5}, Time: 1}.Text()
	f.Add(text, int64(3), bytes.Repeat([]byte{7}, 64), false)
	f.Add(text, int64(0), []byte(nil), true)
	f.Add("example.com/log\n5\nAAAA\ntime 1\n", int64(-1), []byte{1}, false)
	f.Add("\n\n\n\n", int64(1<<62), bytes.Repeat([]byte{7}, 33), true)
	f.Fuzz(func(t *testing.T, text string, from int64, proofBytes []byte, bootstrap bool) {
		var proof [][]byte
		for p := proofBytes; len(p) > 0; {
			n := min(len(p), tlog.HashSize)
			proof = append(proof, p[:n])
			p = p[n:]
		}
		req := &signerpb.SignCheckpointRequest{Checkpoint: text, FromSize: from, Proof: proof, Bootstrap: bootstrap}
		c, hashes, err := parseCheckpointRequest(req)
		refusedAs(t, err, codes.InvalidArgument)
		if err != nil {
			return
		}
		if c.Text() != text || len(c.Origin) > MaxOriginBytes || from < 0 || from > c.N || len(hashes) != len(proof) {
			t.Fatalf("accepted %q from %d with %d hashes as %+v", text, from, len(proof), c)
		}
		for i := range hashes {
			if !bytes.Equal(hashes[i][:], proof[i]) {
				t.Fatalf("proof hash %d changed", i)
			}
		}
		for _, last := range []tlog.Tree{{N: 0}, {N: 3}, {N: c.N, Hash: c.Hash}} {
			for _, known := range []bool{false, true} {
				err := checkExtends(c, hashes, req, last, known)
				if err != nil && status.Code(err) != codes.InvalidArgument && status.Code(err) != codes.FailedPrecondition {
					t.Fatalf("checkExtends: %v", err)
				}
			}
		}
	})
}

// FuzzParseAckRequest: the SignAck decoder never panics, refuses with
// INVALID_ARGUMENT, and accepts only one-byte status and reason, a short
// client order ID and a well-formed envelope, keeping every field.
func FuzzParseAckRequest(f *testing.F) {
	k, err := hmac.New(bytes.Repeat([]byte{5}, 32))
	if err != nil {
		f.Fatal(err)
	}
	sl, err := venue.NewSealer(k)
	if err != nil {
		f.Fatal(err)
	}
	o := order.Order{ClientOrderID: "c-1", Account: "A", Symbol: "S", Side: order.Buy, Type: order.Market, Quantity: 1, TimeInForce: order.Day, Timestamp: 1}
	ord, err := o.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	env, err := sl.Seal(context.Background(), ord)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint32(1), uint32(0), uint64(7), int64(9), []byte("c-1"), bytes.Clone(env))
	f.Add(uint32(256), uint32(0), uint64(0), int64(-1), bytes.Repeat([]byte("x"), 40), []byte{1})
	f.Fuzz(func(t *testing.T, st, reason uint32, id uint64, at int64, cid, env []byte) {
		req := &signerpb.SignAckRequest{Status: st, Reason: reason, VenueOrderId: id, VenueTime: at, ClientOrderId: cid, Envelope: env}
		a, err := parseAckRequest(req)
		refusedAs(t, err, codes.InvalidArgument)
		if err != nil {
			return
		}
		var e venue.Envelope
		if uint32(a.Status) != st || uint32(a.Reason) != reason || a.VenueOrderID != id || a.VenueTime != at ||
			len(cid) > order.MaxClientOrderID || venue.ParseEnvelope(env, &e) != nil {
			t.Fatalf("accepted %+v as %+v", req, a)
		}
	})
}

// FuzzParseOrderRequest: the SignOrder decoder never panics, refuses with
// INVALID_ARGUMENT, and accepts only the canonical encoding of an order.
func FuzzParseOrderRequest(f *testing.F) {
	o := order.Order{ClientOrderID: "c-1", Account: "A", Symbol: "S", Side: order.Buy, Type: order.Market, Quantity: 1, TimeInForce: order.Day, Timestamp: 1}
	ord, err := o.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ord)
	f.Add([]byte{1})
	f.Add(append(bytes.Clone(ord), 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		var v order.View
		err := parseOrderRequest(&signerpb.SignOrderRequest{Order: b}, &v)
		ts := v.Timestamp
		refusedAs(t, err, codes.InvalidArgument)
		if err != nil {
			return
		}
		o, err := order.Decode(b)
		if err != nil {
			t.Fatalf("accepted an order Decode refuses: %v", err)
		}
		again, err := o.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) || ts != o.Timestamp {
			t.Fatalf("accepted %x, which is not canonical (%x, %v)", b, again, err)
		}
	})
}

// FuzzParseScope: the scope of a Kill or Resume request is accepted only
// in its text form (it prints back as sent), else refused as
// INVALID_ARGUMENT.
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"all", "account=ACC-1", "symbol=AAPL", "", "account=", "all=1", "desk=7", "symbol=A\x00B", "account=" + strings.Repeat("x", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		sc, err := parseScope("kill", text)
		refusedAs(t, err, codes.InvalidArgument)
		if err == nil && sc.String() != text {
			t.Fatalf("accepted %q as %v", text, sc)
		}
	})
}
