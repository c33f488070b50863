package trail

import (
	"context"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Accepted is the last checkpoint the trail accepted for one origin.
type Accepted struct {
	// Tree is the checkpoint's tree: its size and root hash.
	tlog.Tree
	// Index is the checkpoint's entry index in the trail.
	Index uint64
	// Note is the signed checkpoint note as the trail appended it.
	Note []byte
}

// Evidence is a checkpoint the trail refused because it does not extend
// the one it had accepted for its origin: a fork (same size, another
// root; or a consistency proof that does not hold) or a shrink (a smaller
// size). Both notes are signed by the origin's key, so a same-size pair
// with two roots proves the log forked to anyone who holds that key.
type Evidence struct {
	Origin   string
	Accepted []byte      // the accepted checkpoint's signed note
	Refused  []byte      // the refused checkpoint's signed note
	Proof    []tlog.Hash // the consistency proof sent with the refused one
	Reason   string
	Time     time.Time
}

// OriginStore keeps, for each origin, the last checkpoint the trail
// accepted, and the evidence of the checkpoints it refused. Every method is
// safe for concurrent use, by goroutines of one process and by processes
// that share the store.
type OriginStore interface {
	// Update calls f with origin's last accepted checkpoint (ok false if
	// there is none), holding a lock that excludes every other Update of
	// the same origin, in this process and in any other sharing the store.
	// If f returns a non-nil next, Update stores it, durably, before it
	// releases the lock. An error from f is returned as it is.
	Update(ctx context.Context, origin string, f func(last Accepted, ok bool) (next *Accepted, err error)) error
	// Latest returns origin's last accepted checkpoint (ok false if none).
	Latest(ctx context.Context, origin string) (a Accepted, ok bool, err error)
	// AddEvidence stores e durably.
	AddEvidence(ctx context.Context, e Evidence) error
	// Evidence returns the evidence stored for origin, oldest first.
	Evidence(ctx context.Context, origin string) ([]Evidence, error)
	// Close releases the store.
	Close() error
}
