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
	buf := make([]byte, stateSlotSize)
	for slot := range int64(2) {
		n, err := f.ReadAt(buf, slot*stateSlotSize)
		if err != nil && !errors.Is(err, io.EOF) {
			return originState{}, 0, false, err
		}
		b, sq, valid := parseStateSlot(buf[:n])
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

// parseStateSlot returns the JSON and sequence of a slot, and whether it
// is valid.
func parseStateSlot(b []byte) ([]byte, uint64, bool) {
	if len(b) < stateHeaderSize || string(b[:8]) != stateMagic {
		return nil, 0, false
	}
	seq := binary.BigEndian.Uint64(b[8:])
	n := int(binary.BigEndian.Uint32(b[16:]))
	if n > len(b)-stateHeaderSize {
		return nil, 0, false
	}
	body := b[stateHeaderSize : stateHeaderSize+n]
	h := stateHash(seq, body)
	if !bytes.Equal(h[:], b[20:stateHeaderSize]) {
		return nil, 0, false
	}
	return body, seq, true
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
