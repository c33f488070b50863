package trail

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// An origin's state file holds two slots of stateSlotSize bytes, each a
// header and a JSON originState:
//
//	"twtrail1" | sequence (uint64) | length (uint32) | SHA-256 of the
//	sequence and the JSON (32 bytes) | the JSON
//
// The current state is the valid slot of highest sequence; an update
// writes the other slot with the next sequence and fsyncs. A write torn by
// a crash leaves a slot whose hash does not match, and the other slot, the
// state before, stands: an update costs one write and one fsync, and no
// directory operation.
const (
	stateSlotSize   = 1 << 17
	stateHeaderSize = 8 + 8 + 4 + sha256.Size
	stateMagic      = "twtrail1"
)

// readStateSlots returns the current state of a state file and its
// sequence (0 and ok false when no slot is valid: a new file).
func readStateSlots(f *os.File) (st originState, seq uint64, ok bool, err error) {
	for slot := range int64(2) {
		b, sq, valid, err := readStateSlot(f, slot*stateSlotSize)
		if err != nil {
			return originState{}, 0, false, err
		}
		if !valid || (ok && sq <= seq) {
			continue
		}
		var s originState
		if err := json.Unmarshal(b, &s); err != nil {
			return originState{}, 0, false, fmt.Errorf("%s: slot %d: %w", f.Name(), slot, err)
		}
		st, seq, ok = s, sq, true
	}
	return st, seq, ok, nil
}

// readStateSlot reads the slot at off and returns its JSON and sequence,
// and whether it is valid (a slot never written, cut short or torn is
// not).
func readStateSlot(f *os.File, off int64) ([]byte, uint64, bool, error) {
	var h [stateHeaderSize]byte
	if _, err := f.ReadAt(h[:], off); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, 0, false, nil
		}
		return nil, 0, false, err
	}
	n := binary.BigEndian.Uint32(h[16:])
	if string(h[:8]) != stateMagic || n > stateSlotSize-stateHeaderSize {
		return nil, 0, false, nil
	}
	body := make([]byte, n)
	if _, err := f.ReadAt(body, off+stateHeaderSize); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, 0, false, nil
		}
		return nil, 0, false, err
	}
	seq := binary.BigEndian.Uint64(h[8:])
	sum := stateHash(seq, body)
	if !bytes.Equal(sum[:], h[20:]) {
		return nil, 0, false, nil
	}
	return body, seq, true, nil
}

func stateHash(seq uint64, body []byte) [sha256.Size]byte {
	h := sha256.New()
	binary.Write(h, binary.BigEndian, seq)
	h.Write(body)
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

// writeStateSlot writes body as the state of sequence seq, in the slot
// the current state (seq-1) is not in, and fsyncs the file.
func writeStateSlot(f *os.File, seq uint64, body []byte) error {
	if len(body) > stateSlotSize-stateHeaderSize {
		return fmt.Errorf("%s: a state of %d bytes, more than a slot holds", f.Name(), len(body))
	}
	b := make([]byte, stateHeaderSize, stateHeaderSize+len(body))
	copy(b, stateMagic)
	binary.BigEndian.PutUint64(b[8:], seq)
	binary.BigEndian.PutUint32(b[16:], uint32(len(body)))
	h := stateHash(seq, body)
	copy(b[20:], h[:])
	b = append(b, body...)
	if _, err := f.WriteAt(b, int64(seq%2)*stateSlotSize); err != nil {
		return err
	}
	return f.Sync()
}
