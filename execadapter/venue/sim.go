package venue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/internal/window"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/provider"
)

// SimOptions configure a simulated venue.
type SimOptions struct {
	// Keys holds the verifiers of the keys orders are signed with. Required.
	Keys *provider.Keyring
	// MaxSkew is the largest difference between an order's timestamp and
	// the venue's clock (default DefaultMaxSkew). It must be positive and
	// less than half of DedupWindow (see CheckMaxSkew).
	MaxSkew time.Duration
	// DedupWindow and DedupCapacity bound how long and how many client order
	// IDs the venue remembers to reject duplicates (default
	// DefaultDedupWindow and 1<<20).
	DedupWindow   time.Duration
	DedupCapacity int
	// Now is the venue's clock (default time.Now).
	Now func() time.Time
}

// The defaults of SimOptions.
const (
	DefaultMaxSkew     = 5 * time.Second
	DefaultDedupWindow = 10 * time.Minute
)

// Stale reports whether an order timestamp ts (Unix nanoseconds) is more
// than maxSkew before or after now: an order a venue refuses as stale
// (ReasonStale), and a signing service's orders key will not sign.
func Stale(ts int64, now time.Time, maxSkew time.Duration) bool {
	skew := now.UnixNano() - ts
	return skew > int64(maxSkew) || -skew > int64(maxSkew)
}

// CheckMaxSkew returns an error unless maxSkew is positive and less than
// half of window, the duplicate window: only then is every order the venue
// accepted either remembered or stale for good. An order stamped t is
// accepted at the earliest at t-maxSkew, remembered until window after its
// acceptance, and no longer stale until t+maxSkew; with 2*maxSkew >= window
// it could be accepted a second time once the window forgot it.
func CheckMaxSkew(maxSkew, window time.Duration) error {
	if maxSkew <= 0 || maxSkew >= window-maxSkew { // 2*maxSkew >= window, without overflow
		return fmt.Errorf("max skew %v is not between 0 and half the duplicate window %v (exclusive): a replay of an accepted order could be accepted again once the window forgot it", maxSkew, window)
	}
	return nil
}

// Sim is an in-process simulated venue: it verifies each order's signature
// with the verifier of its key ID, rejects duplicates and stale timestamps,
// and acknowledges the rest with a venue order ID. It is safe for concurrent
// use.
type Sim struct {
	opts    SimOptions
	openers sync.Pool
	mu      sync.Mutex
	dedup   *window.Set
	state   *dedupLog   // the window on disk, when a Server keeps one
	batches *BatchCache // the batches submitted in process (SubmitInBatch)
	nextID  atomic.Uint64
	closed  atomic.Bool
}

var _ Venue = (*Sim)(nil)

// NewSim returns a simulated venue.
func NewSim(opts SimOptions) (*Sim, error) {
	if opts.Keys == nil {
		return nil, fmt.Errorf("%w: simulated venue needs a keyring of verifiers", provider.ErrInvalidConfig)
	}
	if opts.MaxSkew == 0 {
		opts.MaxSkew = DefaultMaxSkew
	}
	if opts.DedupWindow <= 0 {
		opts.DedupWindow = DefaultDedupWindow
	}
	if err := CheckMaxSkew(opts.MaxSkew, opts.DedupWindow); err != nil {
		return nil, fmt.Errorf("%w: simulated venue: %w", provider.ErrInvalidConfig, err)
	}
	if opts.DedupCapacity <= 0 {
		opts.DedupCapacity = 1 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Sim{opts: opts, dedup: window.New(int64(opts.DedupWindow), opts.DedupCapacity), batches: NewBatchCache(opts.Keys)}
	s.openers.New = func() any { return &simScratch{op: NewOpener(opts.Keys), leaf: make([]byte, 0, 512)} }
	return s, nil
}

type simScratch struct {
	op   *Opener
	env  Envelope
	v    order.View
	leaf []byte
}

// Submit processes one envelope and returns the venue's acknowledgement.
func (s *Sim) Submit(ctx context.Context, envelope, _ []byte) (Ack, error) {
	if s.closed.Load() {
		return Ack{}, &DeliveryError{Delivery: NotSent, Err: ErrClosed}
	}
	if err := ctx.Err(); err != nil {
		return Ack{}, &DeliveryError{Delivery: NotSent, Err: fmt.Errorf("%w: %w", ErrTimeout, err)}
	}
	ack, _ := s.Process(ctx, envelope)
	return ack, nil
}

// Process handles one envelope and returns the ack with the order's client
// order ID (aliasing envelope; nil when the order did not decode). A
// batch-signed envelope is checked against the batches given to
// SubmitInBatch.
func (s *Sim) Process(ctx context.Context, envelope []byte) (Ack, []byte) {
	return s.ProcessIn(ctx, s.batches, envelope)
}

// ProcessIn is Process, checking a batch-signed envelope against the
// batches of c (those received on one connection).
func (s *Sim) ProcessIn(ctx context.Context, c *BatchCache, envelope []byte) (Ack, []byte) {
	now := s.opts.Now()
	ack := Ack{Status: Rejected, VenueTime: now.UnixNano()}
	sc := s.openers.Get().(*simScratch)
	defer s.openers.Put(sc)
	if ParseEnvelope(envelope, &sc.env) != nil || order.Parse(sc.env.Order, &sc.v) != nil {
		ack.Reason = ReasonMalformed
		return ack, nil
	}
	id := sc.v.ClientOrderID
	var err error
	if sc.env.Version == BatchEnvelopeVersion {
		err = c.check(ctx, &sc.env, sc.leaf[:0])
	} else {
		err = sc.op.Verify(ctx, &sc.env)
	}
	if err != nil {
		ack.Reason = reasonOf(err)
		return ack, id
	}
	if Stale(sc.v.Timestamp, now, s.opts.MaxSkew) {
		ack.Reason = ReasonStale
		return ack, id
	}
	venueID := s.nextID.Add(1)
	s.mu.Lock()
	dup, first := s.dedup.AddValue(id, now.UnixNano(), venueID)
	if !dup && s.state != nil {
		s.state.append(id, venueID, now.UnixNano())
	}
	s.mu.Unlock()
	if dup {
		ack.Reason, ack.VenueOrderID = ReasonDuplicate, first
		return ack, id
	}
	ack.Status, ack.VenueOrderID = Accepted, venueID
	return ack, id
}

// reasonOf returns the reason to refuse an order whose signature or batch
// did not verify with err.
func reasonOf(err error) Reason {
	switch {
	case errors.Is(err, ErrUnknownBatch):
		return ReasonUnknownBatch
	case errors.Is(err, ErrNotInBatch):
		return ReasonNotInBatch
	case errors.Is(err, provider.ErrKeyNotFound):
		return ReasonUnknownKey
	case errors.Is(err, provider.ErrInvalidSignature):
		return ReasonBadSignature
	}
	return ReasonVerifierDown
}

// Prefault maps the memory of the duplicate window now (about 72 bytes per
// unit of DedupCapacity), so that the first orders to reach each page do not
// pay a page fault. Call it once, before trading, on a latency-critical
// path.
func (s *Sim) Prefault() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dedup.Prefault()
}

// Close makes later Submits fail with ErrClosed.
func (s *Sim) Close() error {
	s.closed.Store(true)
	return nil
}

// attachState opens the duplicate window on disk in dir, fills the window in
// memory from it, and from then on records every accepted order there.
func (s *Sim) attachState(dir string) (*dedupLog, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != nil {
		return nil, fmt.Errorf("%w: the simulated venue already keeps its window in %q", ErrState, s.state.dir)
	}
	var maxID uint64
	l, err := openDedupLog(dir, int64(s.opts.DedupWindow), s.opts.DedupCapacity, func(r stateRecord) {
		s.dedup.AddValue(r.id, r.t, r.venueID)
		maxID = max(maxID, r.venueID)
	})
	if err != nil {
		return nil, err
	}
	for {
		cur := s.nextID.Load()
		if cur >= maxID || s.nextID.CompareAndSwap(cur, maxID) {
			break
		}
	}
	s.state = l
	return l, nil
}

// detachState stops recording to the state l.
func (s *Sim) detachState(l *dedupLog) {
	s.mu.Lock()
	if s.state == l {
		s.state = nil
	}
	s.mu.Unlock()
}
