package audit

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"

	"golang.org/x/mod/sumdb/tlog"
)

// Magic opens every audit log file.
const Magic = "TWAUDIT\x02"

// Layout of a record (see docs/execadapter.md):
//
//	0      4  body length L (big-endian), headSize ≤ L ≤ MaxRecord
//	4      1  record type
//	5      8  sequence number, 1 for the first record, then +1
//	13     8  time, nanoseconds since the Unix epoch
//	21     …  payload (L-17 bytes)
//	4+L   32  leaf hash: the RFC 6962 leaf hash of bytes 0 to 4+L,
//	          SHA-256(0x00 ‖ bytes 0 to 4+L)
//
// Record seq is leaf seq-1 of the log's Merkle tree.
const (
	lenSize   = 4
	headSize  = 1 + 8 + 8 // type, seq, time
	HashSize  = sha256.Size
	MaxRecord = 1 << 20 // bound on L
	// MaxPayload is the largest payload of one record.
	MaxPayload = MaxRecord - headSize
	// minTotal is the size of the smallest record, header to leaf hash.
	minTotal = lenSize + headSize + HashSize
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
	TypeCheckpoint Type = 6 // a signed checkpoint (C2SP signed note) of the records before it
	TypeRecovery   Type = 7 // a writer truncated a torn tail; payload: offset, bytes and records cut
	TypeNote       Type = 8 // free text
	TypeBatch      Type = 9 // a batch signature, before the first order of its batch; payload: the FrameBatch body (docs/orders.md)
	// TypeKill is a kill switch event: a kill, a resume approval or a
	// resume; payload: the event's binary form (killswitch.Event).
	TypeKill Type = 10
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
	case TypeBatch:
		return "batch"
	case TypeKill:
		return "kill"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

func (t Type) known() bool { return t >= TypeOpen && t <= TypeBatch || t == TypeKill }

var leafPrefix = []byte{0}

// Record is one decoded record.
type Record struct {
	Type    Type
	Seq     uint64
	Time    int64
	Payload []byte
	Offset  int64     // of the record in the file
	Hash    tlog.Hash // its leaf hash
}

// leafHash returns the RFC 6962 leaf hash of a record's bytes (length to
// payload), which tlog.RecordHash computes too; h is a reused SHA-256.
func leafHash(h hash.Hash, rec []byte, dst []byte) {
	h.Reset()
	h.Write(leafPrefix)
	h.Write(rec)
	h.Sum(dst[:0])
}

// ErrCorrupt is matched by the error of a log whose records or checkpoints
// are not what was signed: changed, removed, reordered or inserted bytes, a
// log shorter than a checkpoint, or a tail not covered by a signed
// checkpoint.
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
