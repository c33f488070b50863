package trail

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/transparency-dev/tessera"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/execadapter/audit"
)

var (
	// ErrUnknownOrigin matches the error of a checkpoint whose origin is
	// not registered with the trail.
	ErrUnknownOrigin = errors.New("origin not registered with the trail")
	// ErrBadSignature matches the error of a checkpoint that holds no valid
	// signature by its origin's key.
	ErrBadSignature = errors.New("checkpoint not signed by its origin's key")
	// ErrInconsistent matches the error of a checkpoint that does not
	// extend the one the trail accepted for its origin: a fork, a shrink,
	// or a consistency proof that does not hold. The trail keeps the
	// refused pair as [Evidence].
	ErrInconsistent = errors.New("checkpoint does not extend the accepted one")
)

// ConflictError is the error of an add-checkpoint request whose old size
// is not the size of the checkpoint the trail last accepted for the
// origin: the sender proves again from Size.
type ConflictError struct {
	Origin string
	Old    int64 // the old size the request gave
	Size   int64 // the size the trail last accepted (0 if none)
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("trail: origin %q: the request proves from size %d, the trail accepted size %d: prove again from %d", e.Origin, e.Old, e.Size, e.Size)
}

// AddCheckpoint accepts the body of an add-checkpoint request (see
// [ParseAddCheckpoint]) and returns the index of the checkpoint's entry in
// the trail. It appends the signed note, as sent, only once its signature
// by the origin's key and its consistency with the checkpoint last accepted
// for the origin hold, and records it as the origin's accepted checkpoint
// only once the entry has its index. The checkpoint accepted last, sent
// again, returns its index and appends nothing.
//
// Errors: [ErrMalformed] (a body or checkpoint that does not parse),
// [ErrUnknownOrigin], [ErrBadSignature], a *[ConflictError] (old size is not
// the accepted size), [ErrInconsistent] (a same-size checkpoint with
// another root, a smaller one, or a proof that does not hold; the refused
// checkpoint is stored as [Evidence] first); any other error is the
// storage's.
func (s *Server) AddCheckpoint(ctx context.Context, body []byte) (uint64, error) {
	old, proof, msg, err := ParseAddCheckpoint(body)
	if err != nil {
		return 0, err
	}
	origin := audit.CheckpointOrigin(msg)
	vs, ok := s.logs[origin]
	if !ok {
		return 0, fmt.Errorf("trail: origin %.100q: %w", origin, ErrUnknownOrigin)
	}
	n, err := note.Open(msg, vs)
	if err != nil {
		var unv *note.UnverifiedNoteError
		var inv *note.InvalidSignatureError
		if errors.As(err, &unv) || errors.As(err, &inv) {
			return 0, fmt.Errorf("trail: origin %q: %w: %w", origin, ErrBadSignature, err)
		}
		return 0, fmt.Errorf("trail: origin %q: %w: note: %w", origin, ErrMalformed, err)
	}
	cp, err := audit.ParseCheckpoint(n.Text)
	if err != nil {
		return 0, fmt.Errorf("trail: origin %q: %w: %w", origin, ErrMalformed, err)
	}

	var (
		index    uint64
		evidence *Evidence
	)
	err = s.origins.Update(ctx, origin, func(last Accepted, ok bool) (*Accepted, error) {
		if ok && cp.Tree == last.Tree {
			index = last.Index // sent again: no new entry
			return nil, nil
		}
		refuse := func(reason string) (*Accepted, error) {
			evidence = &Evidence{Origin: origin, Accepted: last.Note, Refused: msg, Proof: proof, Reason: reason, Time: time.Now().UTC()}
			return nil, fmt.Errorf("trail: origin %q: %w: %s", origin, ErrInconsistent, reason)
		}
		// Two signed trees of one size with two roots prove a fork
		// whatever the request's old size says.
		if ok && cp.N == last.N {
			return refuse(fmt.Sprintf("fork: size %d with root %s, the accepted one has root %s", cp.N, cp.Hash, last.Hash))
		}
		size := int64(0)
		if ok {
			size = last.N
		}
		if old != size {
			return nil, &ConflictError{Origin: origin, Old: old, Size: size}
		}
		switch {
		case cp.N < size:
			return refuse(fmt.Sprintf("shrink: size %d after the accepted %d", cp.N, size))
		case size > 0:
			if err := tlog.CheckTree(proof, cp.N, cp.Hash, last.N, last.Hash); err != nil {
				return refuse(fmt.Sprintf("consistency proof from size %d to %d does not hold: %v", last.N, cp.N, err))
			}
		}
		// From the empty tree (size 0) no proof is needed, and
		// ParseAddCheckpoint refused one.
		// The entry is appended under the origin's lock, with the trail's
		// context: a request that goes away does not leave an entry the
		// origin state does not know.
		i, err := s.appender.Add(s.ctx, tessera.NewEntry(msg))()
		if err != nil {
			return nil, fmt.Errorf("trail: origin %q: appending the checkpoint: %w", origin, err)
		}
		index = i.Index
		return &Accepted{Tree: cp.Tree, Index: i.Index, Note: msg}, nil
	})
	if evidence != nil {
		if eerr := s.origins.AddEvidence(ctx, *evidence); eerr != nil {
			return 0, fmt.Errorf("%w; storing the evidence: %w", err, eerr)
		}
	}
	if err != nil {
		return 0, err
	}
	return index, nil
}
