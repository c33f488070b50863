package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// Magic opens every audit log file.
const Magic = "TWAUDIT\x01"

// Layout of a record (see docs/execadapter.md):
//
//	0      4  body length L (big-endian), headSize ≤ L ≤ MaxRecord
//	4      1  record type
//	5      8  sequence number, 1 for the first record, then +1
//	13     8  time, nanoseconds since the Unix epoch
//	21     …  payload (L-17 bytes)
//	4+L   32  chain hash: SHA-256(previous chain hash ‖ bytes 0 to 4+L)
const (
	lenSize   = 4
	headSize  = 1 + 8 + 8 // type, seq, time
	HashSize  = sha256.Size
	MaxRecord = 1 << 20 // bound on L
	// MaxPayload is the largest payload of one record.
	MaxPayload = MaxRecord - headSize
)

// Type is the type of a record.
type Type uint8

// The record types.
const (
	TypeOpen       Type = 1 // a writer opened the log; payload: durability mode
	TypeOrder      Type = 2 // an order about to be sent; payload: the signed envelope
	TypeAck        Type = 3 // the venue's acknowledgement
	TypeReject     Type = 4 // an order rejected (risk check, venue)
	TypeSendError  Type = 5 // an order whose sending failed; says whether it may have reached the venue
	TypeCheckpoint Type = 6 // a signature over the chain so far
	TypeRecovery   Type = 7 // a writer truncated a torn tail; payload: offset and byte count
	TypeNote       Type = 8 // free text
)

func (t Type) String() string {
	switch t {
	case TypeOpen:
		return "open"
	case TypeOrder:
		return "order"
	case TypeAck:
		return "ack"
	case TypeReject:
		return "reject"
	case TypeSendError:
		return "send-error"
	case TypeCheckpoint:
		return "checkpoint"
	case TypeRecovery:
		return "recovery"
	case TypeNote:
		return "note"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

func (t Type) known() bool { return t >= TypeOpen && t <= TypeNote }

// genesis is the chain hash that precedes the first record.
var genesis = sha256.Sum256([]byte("TinyWindow audit log v1"))

// checkpointDomain separates checkpoint signatures from every other use of
// the key.
const checkpointDomain = "TinyWindow audit checkpoint v1\x00"

// checkpointMessage appends the signed message of a checkpoint that is
// record seq and follows the chain hash prev.
func checkpointMessage(dst []byte, seq uint64, prev *[HashSize]byte) []byte {
	dst = append(dst, checkpointDomain...)
	dst = binary.BigEndian.AppendUint64(dst, seq)
	return append(dst, prev[:]...)
}

// Record is one decoded record.
type Record struct {
	Type    Type
	Seq     uint64
	Time    int64
	Payload []byte
	Offset  int64 // of the record in the file
	Hash    [HashSize]byte
}

// Checkpoint is the payload of a checkpoint record.
type Checkpoint struct {
	KeyID     string
	Algorithm string
	Signature []byte
}

func appendCheckpoint(dst []byte, keyID, alg string, sig []byte) []byte {
	dst = append(dst, byte(len(keyID)))
	dst = append(dst, keyID...)
	dst = append(dst, byte(len(alg)))
	dst = append(dst, alg...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(sig)))
	return append(dst, sig...)
}

// ParseCheckpoint decodes a checkpoint payload.
func ParseCheckpoint(p []byte) (Checkpoint, error) {
	var c Checkpoint
	bad := errors.New("malformed checkpoint payload")
	if len(p) < 1 || len(p) < 1+int(p[0]) {
		return c, bad
	}
	c.KeyID, p = string(p[1:1+int(p[0])]), p[1+int(p[0]):]
	if len(p) < 1 || len(p) < 1+int(p[0]) {
		return c, bad
	}
	c.Algorithm, p = string(p[1:1+int(p[0])]), p[1+int(p[0]):]
	if len(p) < 4 || uint64(len(p)-4) != uint64(binary.BigEndian.Uint32(p)) {
		return c, bad
	}
	c.Signature = p[4:]
	return c, nil
}

// ErrCorrupt is matched by the error of a log whose records do not chain:
// changed, removed, reordered or inserted bytes, or a tail not covered by a
// signed checkpoint.
var ErrCorrupt = errors.New("audit log is corrupt")

// BadRecordError names the first bad record of a log: its number (the
// sequence number it should have; 0 for the file header), its offset and
// what is wrong.
type BadRecordError struct {
	Record uint64
	Offset int64
	Reason string
	Err    error // the cause, when there is one (an invalid signature)
}

func (e *BadRecordError) Error() string {
	s := fmt.Sprintf("audit log: record %d at byte %d: %s", e.Record, e.Offset, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns ErrCorrupt and the cause.
func (e *BadRecordError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrCorrupt, e.Err}
	}
	return []error{ErrCorrupt}
}
