package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tinywindow/tinywindow/provider"
)

// Report summarises a verified log.
type Report struct {
	Records     uint64          // records in the log
	Checkpoints uint64          // signed checkpoints among them
	Recoveries  uint64          // torn tails truncated by a writer
	ByType      map[Type]uint64 // records by type
	KeyIDs      []string        // keys that signed checkpoints, in order of first use
}

// VerifyFile verifies the log at path (see Verify).
func VerifyFile(ctx context.Context, path string, keys *provider.Keyring) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer f.Close()
	return Verify(ctx, f, keys)
}

// Verify reads a whole log and checks it: the header, every record's length,
// sequence number, type and chain hash, every checkpoint's signature with the
// key of its key ID in keys, and that the log ends with a checkpoint (so that
// nothing can be cut off its end unnoticed). The first problem is a
// *BadRecordError matching ErrCorrupt; a checkpoint signed by a key that keys
// does not hold gives an error matching provider.ErrKeyNotFound, and a
// verifier that cannot decide gives its own error: neither matches
// ErrCorrupt.
func Verify(ctx context.Context, r io.Reader, keys *provider.Keyring) (*Report, error) {
	s, err := newScanner(r)
	if errors.Is(err, io.EOF) {
		return nil, &BadRecordError{Record: 0, Offset: 0, Reason: "the file is empty; an audit log starts with its header"}
	}
	if err != nil {
		return nil, err
	}
	rep := &Report{ByType: map[Type]uint64{}}
	var lastCP uint64
	var msg []byte
	for {
		prev := s.prev
		rec, err := s.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var bad *BadRecordError
			if errors.As(err, &bad) && errors.Is(err, errTorn) {
				bad.Reason += " is cut short by the end of the file (torn tail: open the log with a writer to recover it)"
				bad.Err = nil
			}
			return nil, err
		}
		rep.Records++
		rep.ByType[rec.Type]++
		switch rec.Type {
		case TypeCheckpoint:
			cp, err := ParseCheckpoint(rec.Payload)
			if err != nil {
				return nil, &BadRecordError{Record: rec.Seq, Offset: rec.Offset, Reason: err.Error()}
			}
			v, err := keys.Verifier(cp.KeyID)
			if err != nil {
				return nil, fmt.Errorf("audit log: checkpoint record %d is signed by key %s, which the verifier does not hold (give the log's signer): %w", rec.Seq, cp.KeyID, err)
			}
			if string(v.Info().Algorithm) != cp.Algorithm {
				return nil, &BadRecordError{Record: rec.Seq, Offset: rec.Offset, Reason: fmt.Sprintf("checkpoint names algorithm %s but key %s is %s", cp.Algorithm, cp.KeyID, v.Info().Algorithm)}
			}
			msg = checkpointMessage(msg[:0], rec.Seq, &prev)
			if err := v.Verify(ctx, msg, cp.Signature); err != nil {
				if errors.Is(err, provider.ErrInvalidSignature) {
					return nil, &BadRecordError{Record: rec.Seq, Offset: rec.Offset, Reason: "checkpoint signature is invalid", Err: err}
				}
				return nil, fmt.Errorf("audit log: checkpoint record %d: could not verify: %w", rec.Seq, err)
			}
			rep.Checkpoints++
			lastCP = rec.Seq
			found := false
			for _, id := range rep.KeyIDs {
				found = found || id == cp.KeyID
			}
			if !found {
				rep.KeyIDs = append(rep.KeyIDs, cp.KeyID)
			}
		case TypeRecovery:
			rep.Recoveries++
		}
	}
	if s.seq == 0 {
		return nil, &BadRecordError{Record: 1, Offset: s.off, Reason: "the log holds no record; a writer always writes an open record and a checkpoint"}
	}
	if lastCP != s.seq {
		return nil, &BadRecordError{Record: lastCP + 1, Offset: s.off, Reason: fmt.Sprintf("records %d to %d are not covered by a signed checkpoint: the log was cut short, or its writer stopped without closing (open it with a writer to recover)", lastCP+1, s.seq)}
	}
	rep.Records = s.seq
	return rep, nil
}
