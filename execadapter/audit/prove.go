package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/internal/regularfile"
)

// Proof shows that one record is in a log, without the log: the record, an
// RFC 6962 inclusion proof and the signed checkpoint it leads to.
type Proof struct {
	Seq        uint64 // the record's sequence number (leaf Seq-1)
	Record     []byte // the record, length to payload
	Hashes     tlog.RecordProof
	Checkpoint []byte // signed note
}

const proofHeader = "tinywindow audit proof v1\n"

// MaxProofSize bounds a proof: 2 MiB, room for a record of MaxRecord bytes
// in base64, 64 proof hashes and a checkpoint with its cosignatures.
// [ParseProof] refuses a larger one, and the command line does not read
// past it.
const MaxProofSize = 2 << 20

// Marshal encodes p as text: a header line, "record N", the record in
// base64, one proof hash per line, a blank line, and the signed checkpoint.
func (p *Proof) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(proofHeader)
	fmt.Fprintf(&b, "record %d\n%s\n", p.Seq, base64.StdEncoding.EncodeToString(p.Record))
	for _, h := range p.Hashes {
		b.WriteString(h.String() + "\n")
	}
	b.WriteString("\n")
	b.Write(p.Checkpoint)
	return b.Bytes()
}

// ParseProof decodes a proof that Marshal encoded.
func ParseProof(b []byte) (*Proof, error) {
	bad := errors.New("audit: malformed proof")
	if len(b) > MaxProofSize {
		return nil, fmt.Errorf("%w: %d bytes, more than the %d-byte limit of a proof", bad, len(b), MaxProofSize)
	}
	rest, ok := bytes.CutPrefix(b, []byte(proofHeader))
	if !ok {
		return nil, bad
	}
	head, cp, ok := bytes.Cut(rest, []byte("\n\n"))
	if !ok {
		return nil, bad
	}
	lines := strings.Split(string(head), "\n")
	if len(lines) < 2 || len(lines) > 2+64 {
		return nil, bad
	}
	s, ok := strings.CutPrefix(lines[0], "record ")
	seq, err := strconv.ParseUint(s, 10, 64)
	if !ok || err != nil || seq == 0 {
		return nil, bad
	}
	p := &Proof{Seq: seq, Checkpoint: cp}
	if p.Record, err = base64.StdEncoding.DecodeString(lines[1]); err != nil {
		return nil, bad
	}
	for _, l := range lines[2:] {
		h, err := tlog.ParseHash(l)
		if err != nil {
			return nil, bad
		}
		p.Hashes = append(p.Hashes, h)
	}
	return p, nil
}

// Check verifies the proof with the checkpoint verifiers (see
// CheckpointVerifiers) and returns the record and the checkpoint.
func (p *Proof) Check(vs note.Verifiers) (Record, Checkpoint, error) {
	_, c, err := openCheckpoint(p.Checkpoint, vs)
	if err != nil {
		return Record{}, Checkpoint{}, err
	}
	if len(p.Record) < lenSize+headSize || len(p.Record) > lenSize+MaxRecord ||
		int(binary.BigEndian.Uint32(p.Record)) != len(p.Record)-lenSize {
		return Record{}, c, fmt.Errorf("%w: the proof's record is malformed", ErrCorrupt)
	}
	b := make([]byte, len(p.Record)+HashSize)
	copy(b, p.Record)
	leafHash(sha256.New(), p.Record, b[len(p.Record):])
	rec, err := decodeRecord(sha256.New(), b, p.Seq, 0)
	if err != nil {
		return Record{}, c, err
	}
	if err := tlog.CheckRecord(p.Hashes, c.N, c.Hash, int64(p.Seq-1), rec.Hash); err != nil {
		return Record{}, c, fmt.Errorf("%w: record %d is not in the tree of checkpoint %d: %w", ErrCorrupt, p.Seq, c.N, err)
	}
	return rec, c, nil
}

// Prove returns a proof that record seq is in the log at path, against the
// log's last checkpoint. It reads the record and the stored hashes through
// the log's index and hashes files (path.idx and path.hashes, which a
// Writer keeps), so it costs a few reads whatever the size of the log, and
// it checks the proof before returning it.
func Prove(path string, seq uint64) (*Proof, error) {
	// Each file must be a regular file: a named pipe in the place of one
	// is refused at once rather than waited on.
	f, _, err := regularfile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audit log %q: %w", path, err)
	}
	defer f.Close()
	xf, _, err := regularfile.Open(path + ".idx")
	if err != nil {
		return nil, fmt.Errorf("audit log: index file %q (open the log with a writer to rebuild it): %w", path+".idx", err)
	}
	defer xf.Close()
	hf, _, err := regularfile.Open(path + ".hashes")
	if err != nil {
		return nil, fmt.Errorf("audit log: hashes file %q (open the log with a writer to rebuild it): %w", path+".hashes", err)
	}
	defer hf.Close()
	st, err := xf.Stat()
	if err != nil {
		return nil, err
	}
	records := uint64(st.Size() / 8)
	if seq == 0 || seq > records {
		return nil, fmt.Errorf("audit log %s: no record %d (the index holds %d records)", path, seq, records)
	}
	read := func(n uint64) ([]byte, error) {
		var ob [8]byte
		if _, err := xf.ReadAt(ob[:], int64(n-1)*8); err != nil {
			return nil, err
		}
		off := int64(binary.BigEndian.Uint64(ob[:]))
		var lb [lenSize]byte
		if _, err := f.ReadAt(lb[:], off); err != nil {
			return nil, err
		}
		l := binary.BigEndian.Uint32(lb[:])
		if l < headSize || l > MaxRecord {
			return nil, fmt.Errorf("%w: record %d at byte %d: length %d", ErrCorrupt, n, off, l)
		}
		b := make([]byte, lenSize+int(l)+HashSize)
		if _, err := f.ReadAt(b, off); err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		return b, nil
	}
	h := sha256.New()
	// The last checkpoint: the log's last record, else the nearest
	// checkpoint record before it.
	var cpMsg []byte
	var c Checkpoint
	for n := records; n > 0 && n+1<<20 > records; n-- {
		b, err := read(n)
		if err != nil {
			return nil, fmt.Errorf("audit log %s: %w", path, err)
		}
		rec, err := decodeRecord(h, b, n, 0)
		if err != nil {
			return nil, fmt.Errorf("audit log %s: %w", path, err)
		}
		if rec.Type != TypeCheckpoint {
			continue
		}
		text, _, _ := cutNote(rec.Payload)
		if c, err = ParseCheckpoint(text); err != nil {
			return nil, err
		}
		cpMsg = rec.Payload
		break
	}
	if cpMsg == nil || c.N < int64(seq) {
		return nil, fmt.Errorf("audit log %s: no checkpoint covers record %d yet", path, seq)
	}
	b, err := read(seq)
	if err != nil {
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	rec, err := decodeRecord(h, b, seq, 0)
	if err != nil {
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	proof, err := tlog.ProveRecord(c.N, int64(seq-1), fileHashReader{hf})
	if err != nil {
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	if err := tlog.CheckRecord(proof, c.N, c.Hash, int64(seq-1), rec.Hash); err != nil {
		return nil, fmt.Errorf("audit log %s: the hashes file does not match the log (open the log with a writer to rebuild it): %w", path, err)
	}
	return &Proof{Seq: seq, Record: b[:len(b)-HashSize], Hashes: proof, Checkpoint: cpMsg}, nil
}
