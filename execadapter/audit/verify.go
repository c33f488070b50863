package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/execadapter/killswitch"
	"github.com/tinywindow/tinywindow/internal/regularfile"
	"github.com/tinywindow/tinywindow/provider"
)

// Report summarises a verified log.
type Report struct {
	Origin      string          // the log's name in its checkpoints
	Records     uint64          // records in the log
	Root        tlog.Hash       // tree hash of all records but the final checkpoint
	Checkpoints uint64          // signed checkpoints among them
	Recoveries  uint64          // torn tails truncated by a writer
	ByType      map[Type]uint64 // records by type
	Anchors     int             // outside checkpoints the log was checked against
	// Kills are the kill switch events of the log's kill records, in
	// order, each at its record's time.
	Kills []killswitch.Event
	// Witnessed is, for each witness required, the largest tree size it
	// cosigned.
	Witnessed map[string]int64
	// Clock sums up the clock lines of the log's checkpoints.
	Clock ClockSummary
}

// VerifyOptions say what a log is verified against.
type VerifyOptions struct {
	// Keys hold the checkpoint key (required).
	Keys *provider.Keyring
	// Checkpoints are signed checkpoints kept outside the log (a
	// checkpoints file, an earlier checkpoint handed to an auditor): the
	// log must be at least as long as each and hold, at its size, the
	// same tree.
	Checkpoints [][]byte
	// Witnesses are witness verifier keys (ParseWitnessKey): each must
	// have cosigned at least one of Checkpoints.
	Witnesses []note.Verifier
	// MaxClockError, when positive, requires every checkpoint of the log
	// to state a synchronised clock with a maximum error of at most
	// MaxClockError. A checkpoint that states a larger error, an
	// unsynchronised or unknown clock, or no clock line at all (a log
	// written before clock lines) fails Verify with an error matching
	// ErrClockEvidence that names the first such checkpoint, once the rest
	// of the log has verified. Zero checks no clock.
	MaxClockError time.Duration
}

// VerifyFile verifies the log at path against its keys only (see Verify).
func VerifyFile(ctx context.Context, path string, keys *provider.Keyring) (*Report, error) {
	f, _, err := regularfile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audit log %q: %w", path, err)
	}
	defer f.Close()
	return Verify(ctx, f, VerifyOptions{Keys: keys})
}

// MaxCheckpointsSize bounds a checkpoints file read by [ReadCheckpoints]:
// 256 MiB, over a million notes signed with an HMAC or ECDSA key, some
// 60,000 with ML-DSA-65. A larger file is refused rather than read into
// memory; verify against its latest notes (a file holding them) instead.
const MaxCheckpointsSize = 256 << 20

// ReadCheckpoints reads the signed notes of a checkpoints file (or of a
// file holding one checkpoint), which must be a regular file of at most
// MaxCheckpointsSize bytes: a named pipe or a device is refused at once.
// A file that holds no note, or that does not split into notes, gives an
// error matching ErrCorrupt: a writer's checkpoints file always holds one.
func ReadCheckpoints(path string) ([][]byte, error) {
	b, err := regularfile.ReadFile(path, MaxCheckpointsSize)
	if err != nil {
		return nil, fmt.Errorf("audit log: checkpoints file %q: %w", path, err)
	}
	notes, err := splitNotes(b)
	if err != nil {
		return nil, fmt.Errorf("audit log: checkpoints file %q: %w", path, err)
	}
	if len(notes) == 0 {
		return nil, fmt.Errorf("%w: checkpoints file %q holds no checkpoint", ErrCorrupt, path)
	}
	return notes, nil
}

type anchor struct {
	Checkpoint
	i int
}

// Verify reads a whole log and checks it: the header; every record's
// length, leaf hash, sequence number and type; every checkpoint record's
// signed note (signature by a key in Keys, origin, tree size larger than
// the last one's, time equal to the record's) and that its root hash is the
// RFC 6962 tree hash of the records it covers; that every kill record holds
// a kill switch event (Report.Kills lists them); that the log ends with a
// checkpoint covering every record before it; and that the log extends
// every checkpoint in opts.Checkpoints, with the cosignatures
// opts.Witnesses require. It sums up the checkpoints' clock lines in the
// report and, with opts.MaxClockError, requires each to show a clock
// synchronised within it.
//
// A log cannot prove it is complete: records cut off after a checkpoint,
// with the checkpoints after them, leave a shorter log that verifies on
// its own. Checkpoints kept outside the log (a checkpoints file, a
// witness's cosigned checkpoint) catch that, down to the last of them.
//
// The first problem is a *BadRecordError, or for an outside checkpoint an
// error, matching ErrCorrupt; a checkpoint of the log signed by a key that
// Keys does not hold gives an error matching provider.ErrKeyNotFound, and a
// verifier that cannot decide gives its own error: neither matches
// ErrCorrupt. An outside checkpoint signed by no key of Keys (or naming an
// origin no key can be named by) matches ErrCorrupt once a checkpoint of
// the log has verified with Keys: it was changed; before that, the log's
// own error says whether Keys is the log's key. A log that passes all of
// this but not opts.MaxClockError gives an error matching
// ErrClockEvidence, not ErrCorrupt.
func Verify(ctx context.Context, r io.Reader, opts VerifyOptions) (*Report, error) {
	if opts.Keys == nil {
		return nil, fmt.Errorf("%w: verifying an audit log needs its checkpoint key", provider.ErrInvalidConfig)
	}
	vcache := map[string]note.Verifiers{}
	verifiers := func(origin string) (note.Verifiers, error) {
		if v, ok := vcache[origin]; ok {
			return v, nil
		}
		var keys []provider.Verifier
		for _, id := range opts.Keys.IDs() {
			v, err := opts.Keys.Verifier(id)
			if err != nil {
				return nil, err
			}
			keys = append(keys, v)
		}
		vs, err := checkpointVerifiers(ctx, origin, keys, opts.Witnesses)
		if err != nil {
			return nil, err
		}
		vcache[origin] = vs
		return vs, nil
	}
	rep := &Report{ByType: map[Type]uint64{}, Witnessed: map[string]int64{}}
	// Outside checkpoints, by size.
	var anchors []anchor
	// unsigned is the first outside checkpoint that no key of Keys
	// signed, returned once a checkpoint of the log shows Keys right.
	var unsigned error
	for i, msg := range opts.Checkpoints {
		text, _, _ := cutNote(msg)
		c, err := ParseCheckpoint(text)
		if err != nil {
			return nil, fmt.Errorf("outside checkpoint %d: %w", i+1, err)
		}
		vs, err := verifiers(c.Origin)
		if err != nil {
			if errors.Is(err, provider.ErrInvalidConfig) {
				// An origin no signed note can be named by: a changed
				// checkpoint, or a key Keys cannot use, as above.
				if unsigned == nil {
					unsigned = fmt.Errorf("%w: outside checkpoint %d: origin %q: %v", ErrCorrupt, i+1, c.Origin, err)
				}
				continue
			}
			return nil, err
		}
		n, c, err := openCheckpoint(msg, vs)
		if errors.Is(err, provider.ErrKeyNotFound) {
			// Signed by no key of Keys: either Keys is not the log's
			// key, and the log's own first checkpoint says so, or this
			// checkpoint was changed. Which one is known once a
			// checkpoint of the log verifies.
			if unsigned == nil {
				unsigned = fmt.Errorf("%w: outside checkpoint %d is not signed by the log's checkpoint key: it was changed (%v)", ErrCorrupt, i+1, err)
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("audit log: outside checkpoint %d (tree size %d): %w", i+1, c.N, err)
		}
		for _, w := range opts.Witnesses {
			if cosignedBy(n, w) {
				rep.Witnessed[w.Name()] = max(rep.Witnessed[w.Name()], c.N)
			}
		}
		anchors = append(anchors, anchor{c, i + 1})
	}
	for _, w := range opts.Witnesses {
		if _, ok := rep.Witnessed[w.Name()]; !ok && unsigned == nil {
			return nil, fmt.Errorf("%w: no checkpoint is cosigned by witness %s", ErrCorrupt, w.Name())
		}
	}
	slices.SortFunc(anchors, func(a, b anchor) int { return int(a.N - b.N) })

	s, err := newScanner(r)
	if errors.Is(err, io.EOF) {
		return nil, &BadRecordError{Record: 0, Offset: 0, Reason: "the file is empty; an audit log starts with its header"}
	}
	if err != nil {
		return nil, err
	}
	var (
		t       tree
		pending []tlog.Hash      // leaves not yet in t
		lastCP  uint64           // seq of the last checkpoint record
		lastN   int64       = -1 // its tree size
	)
	var clockErr error // the first checkpoint outside opts.MaxClockError
	// foldTo adds leaves to t until it has n.
	foldTo := func(n int64) {
		k := int(n - t.n)
		for _, h := range pending[:k] {
			t.append(h, nil)
		}
		pending = append(pending[:0], pending[k:]...)
	}
	checkAnchors := func(upto int64) error {
		for len(anchors) > 0 && anchors[0].N <= upto {
			a := anchors[0]
			anchors = anchors[1:]
			if rep.Origin != "" && a.Origin != rep.Origin {
				return fmt.Errorf("%w: outside checkpoint %d is of log %q, not of this log %q", ErrCorrupt, a.i, a.Origin, rep.Origin)
			}
			foldTo(a.N)
			if t.root() != a.Hash {
				return fmt.Errorf("%w: records 1 to %d are not those outside checkpoint %d covers: the log was changed or forked", ErrCorrupt, a.N, a.i)
			}
			rep.Anchors++
		}
		return nil
	}
	ra := newReadAhead(s)
	defer ra.stop()
	for {
		rec, err := ra.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var bad *BadRecordError
			if errors.As(err, &bad) && errors.Is(err, errTorn) {
				bad.Reason += " is cut short by the end of the file (a torn tail: opening the log with a writer recovers it, unless a checkpoint covers it)"
				bad.Err = nil
			}
			return nil, err
		}
		rep.ByType[rec.Type]++
		if rec.Type == TypeRecovery {
			rep.Recoveries++
		}
		if rec.Type == TypeKill {
			e, err := KillEvent(rec)
			if err != nil {
				return nil, &BadRecordError{Record: rec.Seq, Offset: rec.Offset, Reason: "kill record: not a kill switch event", Err: err}
			}
			rep.Kills = append(rep.Kills, e)
		}
		if rec.Type == TypeCheckpoint {
			bad := func(why string, err error) error {
				return &BadRecordError{Record: rec.Seq, Offset: rec.Offset, Reason: "checkpoint: " + why, Err: err}
			}
			text, _, ok := cutNote(rec.Payload)
			if !ok {
				return nil, bad("not a signed note", nil)
			}
			c, err := ParseCheckpoint(text)
			if err != nil {
				return nil, bad("unreadable", err)
			}
			if rep.Origin == "" {
				rep.Origin = c.Origin
			}
			if c.Origin != rep.Origin {
				return nil, bad(fmt.Sprintf("origin %q, but the log is %q: a checkpoint of another log", c.Origin, rep.Origin), nil)
			}
			vs, err := verifiers(c.Origin)
			if err != nil {
				return nil, err
			}
			if _, _, err := openCheckpoint(rec.Payload, vs); err != nil {
				if errors.Is(err, ErrCorrupt) {
					return nil, bad("signature", err)
				}
				return nil, fmt.Errorf("audit log: checkpoint record %d: %w", rec.Seq, err)
			}
			if unsigned != nil {
				return nil, unsigned
			}
			if c.N <= lastN || c.N >= int64(rec.Seq) {
				return nil, bad(fmt.Sprintf("tree size %d, want between %d and %d: an older checkpoint replayed, or one of another log", c.N, lastN+1, rec.Seq-1), nil)
			}
			if c.Time != rec.Time {
				return nil, bad(fmt.Sprintf("signed time %d differs from the record's time %d", c.Time, rec.Time), nil)
			}
			if err := checkAnchors(c.N); err != nil {
				return nil, err
			}
			foldTo(c.N)
			if t.root() != c.Hash {
				return nil, bad(fmt.Sprintf("root hash is not that of records 1 to %d: a record before it was changed", c.N), nil)
			}
			rep.Checkpoints++
			lastCP, lastN = rec.Seq, c.N
			rep.Clock.add(rec.Seq, c.Clock)
			if opts.MaxClockError > 0 && clockErr == nil {
				if err := c.Clock.within(opts.MaxClockError); err != nil {
					clockErr = fmt.Errorf("audit log: checkpoint record %d (tree size %d, time %s): %v: %w",
						rec.Seq, c.N, time.Unix(0, c.Time).UTC().Format(time.RFC3339Nano), err, ErrClockEvidence)
				}
			}
		}
		pending = append(pending, rec.Hash)
	}
	if ra.seq == 0 {
		return nil, &BadRecordError{Record: 1, Offset: ra.off, Reason: "the log holds no record; a writer always writes an open record and a checkpoint"}
	}
	if len(anchors) > 0 && anchors[len(anchors)-1].N > int64(ra.seq) {
		a := anchors[len(anchors)-1]
		return nil, &BadRecordError{Record: ra.seq + 1, Offset: ra.off, Reason: fmt.Sprintf("the log ends after %d records but outside checkpoint %d covers %d: records were cut off", ra.seq, a.i, a.N)}
	}
	if lastCP != ra.seq || lastN != int64(ra.seq)-1 {
		return nil, &BadRecordError{Record: uint64(lastN) + 1, Offset: ra.off, Reason: fmt.Sprintf("records %d to %d are not covered by a signed checkpoint: the log was cut short, or its writer stopped without closing (open it with a writer to recover)", lastN+1, ra.seq)}
	}
	if err := checkAnchors(lastN); err != nil {
		return nil, err
	}
	if len(anchors) > 0 {
		a := anchors[0]
		return nil, &BadRecordError{Record: ra.seq, Offset: ra.off, Reason: fmt.Sprintf("outside checkpoint %d covers %d records, including this log's final checkpoint record, which no checkpoint covers", a.i, a.N)}
	}
	if clockErr != nil {
		return nil, clockErr
	}
	rep.Records = ra.seq
	rep.Root = t.root()
	return rep, nil
}

// CheckpointVerifiers returns the signed-note verifiers of checkpoints of
// log origin signed by the keys in keys, and of the witnesses.
func CheckpointVerifiers(origin string, keys []provider.Verifier, witnesses ...note.Verifier) (note.Verifiers, error) {
	return checkpointVerifiers(context.Background(), origin, keys, witnesses)
}

func checkpointVerifiers(ctx context.Context, origin string, keys []provider.Verifier, witnesses []note.Verifier) (note.Verifiers, error) {
	nks := make([]*noteKey, 0, len(keys))
	for _, k := range keys {
		nk, err := newNoteKey(ctx, origin, k.Info(), k)
		if err != nil {
			return nil, err
		}
		nks = append(nks, nk)
	}
	return newNoteVerifiers(nks, witnesses), nil
}

// CheckpointOrigin returns the origin line of a signed checkpoint, not
// verified.
func CheckpointOrigin(msg []byte) string {
	o, _, _ := strings.Cut(string(msg), "\n")
	return o
}
