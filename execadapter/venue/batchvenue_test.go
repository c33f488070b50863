package venue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// TestSimBatch: the in-process venue verifies each batch once and each
// order against it; the duplicate window and staleness apply to
// batch-signed orders as to the others; each refusal carries its reason.
func TestSimBatch(t *testing.T) {
	ctx := context.Background()
	key, stranger := hmac.NewFromSeed(1), hmac.NewFromSeed(3)
	keys, _ := provider.NewKeyring(key)
	now := time.Now()
	a := signBatch(t, key, canonicalOrders(t, "a", 4, now))
	dupOf := signBatch(t, key, canonicalOrders(t, "a", 1, now)) // a-0 again
	stale := signBatch(t, key, canonicalOrders(t, "s", 2, now.Add(-time.Hour)))
	foreign := signBatch(t, stranger, canonicalOrders(t, "f", 2, now))
	other := signBatch(t, key, canonicalOrders(t, "o", 4, now))
	replayed := bytes.Clone(a.Body)
	replayed[13] ^= 1 // another root under a's signature
	var e3 Envelope
	ParseEnvelope(other.Envelopes[3], &e3)
	type submit struct {
		id       uint64
		batch    []byte // nil: Submit, without the batch
		envelope []byte
	}
	for _, tc := range []struct {
		name string
		pre  []submit // accepted first
		sub  submit
		want Reason
	}{
		{"an order of its batch", nil, submit{a.ID, a.Body, a.Envelopes[2]}, ReasonNone},
		{"the same order in two batches", []submit{{a.ID, a.Body, a.Envelopes[0]}}, submit{dupOf.ID, dupOf.Body, dupOf.Envelopes[0]}, ReasonDuplicate},
		{"a stale order", nil, submit{stale.ID, stale.Body, stale.Envelopes[1]}, ReasonStale},
		{"no batch", nil, submit{a.ID, nil, a.Envelopes[1]}, ReasonUnknownBatch},
		{"a batch signature replayed for another root", nil, submit{a.ID, replayed, a.Envelopes[1]}, ReasonBadSignature},
		{"a batch of an unknown key", nil, submit{foreign.ID, foreign.Body, foreign.Envelopes[0]}, ReasonUnknownKey},
		{"a proof for another batch", nil, submit{a.ID, a.Body, setBatchRef(t, other.Envelopes[3], a.ID, 3, e3.Proof)}, ReasonNotInBatch},
		{"an index out of range", nil, submit{other.ID, other.Body, setBatchRef(t, other.Envelopes[3], other.ID, 4, e3.Proof)}, ReasonNotInBatch},
		{"a proof of the wrong length", nil, submit{other.ID, other.Body, setBatchRef(t, other.Envelopes[3], other.ID, 3, e3.Proof[32:])}, ReasonNotInBatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, err := NewSim(SimOptions{Keys: keys})
			if err != nil {
				t.Fatal(err)
			}
			do := func(s submit) Ack {
				var ack Ack
				var err error
				if s.batch == nil {
					ack, err = sim.Submit(ctx, s.envelope, nil)
				} else {
					ack, err = sim.SubmitInBatch(ctx, s.id, s.batch, s.envelope, nil)
				}
				if err != nil {
					t.Fatal(err)
				}
				return ack
			}
			for _, s := range tc.pre {
				if ack := do(s); ack.Status != Accepted {
					t.Fatalf("first order: %+v", ack)
				}
			}
			ack := do(tc.sub)
			if ack.Reason != tc.want || (tc.want == ReasonNone) != (ack.Status == Accepted) {
				t.Fatalf("ack %v (%v); want reason %v", ack.Status, ack.Reason, tc.want)
			}
		})
	}
}

// TestSimBatchMalformed: a batch that does not parse is a protocol error
// of the submission, and the order is not sent.
func TestSimBatchMalformed(t *testing.T) {
	key := hmac.NewFromSeed(1)
	keys, _ := provider.NewKeyring(key)
	sim, err := NewSim(SimOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	sb := signBatch(t, key, canonicalOrders(t, "a", 2, time.Now()))
	_, err = sim.SubmitInBatch(context.Background(), sb.ID, sb.Body[:30], sb.Envelopes[0], nil)
	if !errors.Is(err, ErrProtocol) || !errors.Is(err, ErrBatch) || DeliveryOf(err) != NotSent {
		t.Fatalf("SubmitInBatch of a malformed batch: %v; want ErrProtocol, ErrBatch, NotSent", err)
	}
}

// TestServerBatchFrames: over TCP, a batch frame is verified once per
// connection and each order checked against it; an order whose batch frame
// has not come before it on its connection is refused at once with
// ReasonUnknownBatch (the venue never holds an order waiting, so waiting
// orders take no memory), as is one whose batch was pushed out of the
// connection's cache by MaxCachedBatches later ones; a batch frame that
// does not parse, or that reuses a batch ID for another batch, closes the
// connection.
func TestServerBatchFrames(t *testing.T) {
	key := hmac.NewFromSeed(1)
	keys, _ := provider.NewKeyring(key)
	now := time.Now()
	a := signBatch(t, key, canonicalOrders(t, "a", 3, now))
	sameID := signBatchAt(t, key, canonicalOrders(t, "z", 3, now), a.ID-1, now.UnixNano())
	var flood, last []byte
	for i := range MaxCachedBatches {
		b := signBatch(t, key, canonicalOrders(t, "f"+string(rune('A'+i%26))+string(rune('a'+i/26)), 1, now))
		flood = AppendFrame(flood, FrameBatch, b.Body)
		last = b.Envelopes[0]
	}
	frame := func(typ byte, body []byte) []byte { return AppendFrame(nil, typ, body) }
	cat := func(frames ...[]byte) []byte { return bytes.Join(frames, nil) }
	for _, tc := range []struct {
		name string
		send []byte
		want []Reason // one per ack, ReasonNone for accepted
		err  error    // the connection is closed with this error
	}{
		{"a batch frame, then its orders", cat(frame(FrameBatch, a.Body), frame(FrameOrder, a.Envelopes[0]), frame(FrameOrder, a.Envelopes[2])), []Reason{ReasonNone, ReasonNone}, nil},
		{"the same batch frame twice", cat(frame(FrameBatch, a.Body), frame(FrameBatch, a.Body), frame(FrameOrder, a.Envelopes[1])), []Reason{ReasonNone}, nil},
		{"a batch frame that never comes", frame(FrameOrder, a.Envelopes[0]), []Reason{ReasonUnknownBatch}, nil},
		{"a batch frame after its orders", cat(frame(FrameOrder, a.Envelopes[0]), frame(FrameBatch, a.Body), frame(FrameOrder, a.Envelopes[1])), []Reason{ReasonUnknownBatch, ReasonNone}, nil},
		{"a cache flooded with batch IDs", cat(frame(FrameBatch, a.Body), flood, frame(FrameOrder, a.Envelopes[0]), frame(FrameOrder, last)), []Reason{ReasonUnknownBatch, ReasonNone}, nil},
		{"another batch under a batch ID in use", cat(frame(FrameBatch, a.Body), frame(FrameOrder, a.Envelopes[0]), frame(FrameBatch, sameID.Body)), []Reason{ReasonNone}, ErrProtocol},
		{"a malformed batch frame", frame(FrameBatch, a.Body[:40]), nil, ErrProtocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec errRecorder
			srv := startServer(t, keys)
			srv.OnError = rec.record
			conn, err := net.Dial("tcp", srv.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Write(tc.send); err != nil {
				t.Fatal(err)
			}
			conn.(*net.TCPConn).CloseWrite()
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			fr := NewFrameReader(conn)
			var got []Reason
			for {
				typ, body, err := fr.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("after %d acks: %v", len(got), err)
				}
				ack, _, err := ParseAck(body)
				if typ != FrameAck || err != nil {
					t.Fatalf("frame type %d: %v", typ, err)
				}
				if (ack.Status == Accepted) != (ack.Reason == ReasonNone) {
					t.Fatalf("ack %+v", ack)
				}
				got = append(got, ack.Reason)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("acks %v; want %v", got, tc.want)
			}
			srv.Close()
			rec.mu.Lock()
			defer rec.mu.Unlock()
			switch {
			case tc.err == nil && len(rec.errs) != 0:
				t.Fatalf("reported %v", rec.errs)
			case tc.err != nil && (len(rec.errs) != 1 || !errors.Is(rec.errs[0], tc.err)):
				t.Fatalf("reported %v; want one error matching %v", rec.errs, tc.err)
			}
		})
	}
}

// teeListener keeps a copy of everything its connections read.
type teeListener struct {
	net.Listener
	mu  sync.Mutex
	buf bytes.Buffer
}

type teeConn struct {
	net.Conn
	l *teeListener
}

func (l *teeListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return teeConn{c, l}, nil
}

func (c teeConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.l.mu.Lock()
	c.l.buf.Write(b[:n])
	c.l.mu.Unlock()
	return n, err
}

// TestTCPSendsEachBatchOnce: the TCP client, with many orders of two
// batches sent at once from more goroutines than there are CPUs, writes
// each batch's frame exactly once on its connection, before the first
// order of it; every order is accepted.
func TestTCPSendsEachBatchOnce(t *testing.T) {
	key := hmac.NewFromSeed(1)
	keys, _ := provider.NewKeyring(key)
	sim, err := NewSim(SimOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tl := &teeListener{Listener: ln}
	srv, err := NewServer(tl, sim, ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	defer srv.Close()
	c, err := DialTCP(context.Background(), srv.Addr().String(), TCPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	batches := []*SignedBatch{signBatch(t, key, canonicalOrders(t, "a", 40, now)), signBatch(t, key, canonicalOrders(t, "b", 40, now))}
	var wg sync.WaitGroup
	errs := make(chan error, 80)
	for _, sb := range batches {
		for _, env := range sb.Envelopes {
			wg.Go(func() {
				var e Envelope
				var v order.View
				if err := errors.Join(ParseEnvelope(env, &e), order.Parse(e.Order, &v)); err != nil {
					errs <- err
					return
				}
				id := v.ClientOrderID
				ack, err := c.SubmitInBatch(context.Background(), sb.ID, sb.Body, env, id)
				if err == nil && ack.Status != Accepted {
					err = errors.New("order " + string(id) + " rejected: " + ack.Reason.String())
				}
				if err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	c.Close()
	srv.Close()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	fr := NewFrameReader(bytes.NewReader(tl.buf.Bytes()))
	seen := map[uint64]bool{}
	batchFrames, orders := 0, 0
	for {
		typ, body, err := fr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch typ {
		case FrameBatch:
			var b Batch
			if err := ParseBatch(body, &b); err != nil {
				t.Fatal(err)
			}
			batchFrames++
			seen[b.ID] = true
		case FrameOrder:
			var e Envelope
			if err := ParseEnvelope(body, &e); err != nil {
				t.Fatal(err)
			}
			if !seen[e.BatchID] {
				t.Fatalf("an order of batch %d came before its batch frame", e.BatchID)
			}
			orders++
		}
	}
	if batchFrames != 2 || orders != 80 {
		t.Fatalf("%d batch frames and %d orders; want 2 and 80", batchFrames, orders)
	}
}

// TestSentBatchesForget: the client sends a batch's frame again once
// MaxCachedBatches later batches have followed it on the connection, and
// not before.
func TestSentBatchesForget(t *testing.T) {
	var s sentBatches
	frames := func(id uint64) int {
		b := s.appendFrames(nil, id, []byte("batch"), []byte("order"))
		fr := NewFrameReader(bytes.NewReader(b))
		n := 0
		for {
			if _, _, err := fr.Next(); err != nil {
				return n
			}
			n++
		}
	}
	s.add(1)
	if frames(1) != 1 {
		t.Fatal("a batch just sent is sent again")
	}
	for id := uint64(2); id < 1+MaxCachedBatches; id++ {
		s.add(id)
	}
	if frames(1) != 1 {
		t.Fatalf("batch 1 sent again after %d later batches; the venue still holds it", MaxCachedBatches-1)
	}
	s.add(1 + MaxCachedBatches)
	if frames(1) != 2 {
		t.Fatalf("batch 1 not sent again after %d later batches; the venue has let it go", MaxCachedBatches)
	}
}

// flakyVerifier is a real key whose verification cannot decide (the
// backend down) while down is set.
type flakyVerifier struct {
	provider.Key
	mu   sync.Mutex
	down bool
}

func (k *flakyVerifier) Verify(ctx context.Context, msg, sig []byte) error {
	k.mu.Lock()
	down := k.down
	k.mu.Unlock()
	if down {
		return fmt.Errorf("verifier: %w", provider.ErrUnavailable)
	}
	return k.Key.Verify(ctx, msg, sig)
}

// TestBatchCacheVerifierDown: a batch whose verifier could not decide is
// not held against its orders: they are refused with the verifier's error
// (ReasonVerifierDown) while it stays down, and accepted once it is back,
// without the batch being sent again.
func TestBatchCacheVerifierDown(t *testing.T) {
	key := hmac.NewFromSeed(1)
	fv := &flakyVerifier{Key: key, down: true}
	keys, _ := provider.NewKeyring(fv)
	sim, err := NewSim(SimOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	sb := signBatch(t, key, canonicalOrders(t, "a", 2, time.Now()))
	ctx := context.Background()
	ack, err := sim.SubmitInBatch(ctx, sb.ID, sb.Body, sb.Envelopes[0], nil)
	if err != nil || ack.Reason != ReasonVerifierDown {
		t.Fatalf("with the verifier down: %+v %v; want ReasonVerifierDown", ack, err)
	}
	fv.mu.Lock()
	fv.down = false
	fv.mu.Unlock()
	ack, err = sim.Submit(ctx, sb.Envelopes[1], nil) // no batch frame: the cached one is used
	if err != nil || ack.Status != Accepted {
		t.Fatalf("with the verifier back: %+v %v", ack, err)
	}
}

// countingVerifier is a real key that counts its verifications.
type countingVerifier struct {
	provider.Key
	mu sync.Mutex
	n  int
}

func (k *countingVerifier) Verify(ctx context.Context, msg, sig []byte) error {
	k.mu.Lock()
	k.n++
	k.mu.Unlock()
	return k.Key.Verify(ctx, msg, sig)
}

// TestBatchVerifiedOnce: the orders of one batch submitted at once, from
// more goroutines than CPUs, to the in-process venue, cost one verification
// of the batch signature: the others wait for it.
func TestBatchVerifiedOnce(t *testing.T) {
	key := hmac.NewFromSeed(1)
	cv := &countingVerifier{Key: key}
	keys, _ := provider.NewKeyring(cv)
	sim, err := NewSim(SimOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	sb := signBatch(t, key, canonicalOrders(t, "a", 64, time.Now()))
	var wg sync.WaitGroup
	errs := make(chan error, len(sb.Envelopes))
	for _, env := range sb.Envelopes {
		wg.Go(func() {
			ack, err := sim.SubmitInBatch(context.Background(), sb.ID, sb.Body, env, nil)
			if err == nil && ack.Status != Accepted {
				err = fmt.Errorf("ack %v (%v)", ack.Status, ack.Reason)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if cv.n != 1 {
		t.Fatalf("%d verifications of one batch; want 1", cv.n)
	}
}

// TestSimBatchEvicted: an order whose batch the in-process venue's cache
// let go (MaxCachedBatches others submitted meanwhile) is checked against
// its batch given again, not refused.
func TestSimBatchEvicted(t *testing.T) {
	key := hmac.NewFromSeed(1)
	keys, _ := provider.NewKeyring(key)
	sim, err := NewSim(SimOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first := signBatch(t, key, canonicalOrders(t, "first", 2, time.Now()))
	if ack, err := sim.SubmitInBatch(ctx, first.ID, first.Body, first.Envelopes[0], nil); err != nil || ack.Status != Accepted {
		t.Fatalf("%+v %v", ack, err)
	}
	for i := range MaxCachedBatches {
		if err := sim.batches.Add(ctx, signBatch(t, key, canonicalOrders(t, fmt.Sprint("f", i), 1, time.Now())).Body); err != nil {
			t.Fatal(err)
		}
	}
	if sim.batches.Has(first.ID) {
		t.Fatal("the first batch is still cached")
	}
	if ack, err := sim.SubmitInBatch(ctx, first.ID, first.Body, first.Envelopes[1], nil); err != nil || ack.Status != Accepted {
		t.Fatalf("after its batch was let go: %+v %v", ack, err)
	}
}
