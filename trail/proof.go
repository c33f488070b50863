package trail

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/execadapter/audit"
)

// Proof shows that one record of an adapter's audit log is in the firm's
// trail, without either log: the record's audit proof (the record, its
// inclusion in the adapter's tree and the adapter checkpoint C it leads
// to), C's position in the trail, C's inclusion proof in the trail's tree,
// and the trail's signed checkpoint T that proof leads to, with the
// cosignatures of T's witnesses. It is checked offline with the adapter's
// checkpoint key and the trail's key.
type Proof struct {
	Audit      *audit.Proof     // the record and its inclusion at C (Audit.Checkpoint)
	Index      uint64           // C's entry index in the trail
	Hashes     tlog.RecordProof // C's inclusion in T's tree
	Checkpoint []byte           // T, the trail's signed checkpoint
}

const proofHeaderV1 = "tinywindow trail proof v1\n"

// MaxProofSize bounds a proof: an audit proof of audit.MaxProofSize and
// room for 64 hashes and a trail checkpoint with its cosignatures.
// [ParseProof] refuses a larger one.
const MaxProofSize = audit.MaxProofSize + 64<<10

// ErrMalformedProof is returned by [ParseProof] for bytes that are not a
// proof Marshal wrote.
var ErrMalformedProof = errors.New("trail: malformed proof")

// Marshal encodes p as text: a header line; "audit L" and the L bytes of
// the audit proof; "index I"; one trail proof hash per line; a blank line;
// and the trail's signed checkpoint.
func (p *Proof) Marshal() []byte {
	a := p.Audit.Marshal()
	var b bytes.Buffer
	b.WriteString(proofHeaderV1)
	fmt.Fprintf(&b, "audit %d\n", len(a))
	b.Write(a)
	fmt.Fprintf(&b, "\nindex %d\n", p.Index)
	for _, h := range p.Hashes {
		b.WriteString(h.String() + "\n")
	}
	b.WriteString("\n")
	b.Write(p.Checkpoint)
	return b.Bytes()
}

// ParseProof decodes a proof that Marshal encoded. It checks the form
// only; [Proof.Check] checks what it proves.
func ParseProof(b []byte) (*Proof, error) {
	if len(b) > MaxProofSize {
		return nil, fmt.Errorf("%w: %d bytes, more than the %d-byte limit of a proof", ErrMalformedProof, len(b), MaxProofSize)
	}
	rest, ok := bytes.CutPrefix(b, []byte(proofHeaderV1))
	if !ok {
		return nil, fmt.Errorf("%w: no %q header", ErrMalformedProof, strings.TrimSpace(proofHeaderV1))
	}
	line, rest, _ := bytes.Cut(rest, []byte("\n"))
	s, ok := strings.CutPrefix(string(line), "audit ")
	n, err := strconv.Atoi(s)
	if !ok || err != nil || n <= 0 || n > len(rest) || s != strconv.Itoa(n) {
		return nil, fmt.Errorf("%w: bad audit proof length line", ErrMalformedProof)
	}
	ap, err := audit.ParseProof(rest[:n])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedProof, err)
	}
	rest, ok = bytes.CutPrefix(rest[n:], []byte("\nindex "))
	if !ok {
		return nil, fmt.Errorf("%w: no index line after the audit proof", ErrMalformedProof)
	}
	head, cp, ok := bytes.Cut(rest, []byte("\n\n"))
	if !ok {
		return nil, fmt.Errorf("%w: no trail checkpoint", ErrMalformedProof)
	}
	lines := strings.Split(string(head), "\n")
	if len(lines) > 1+64 {
		return nil, fmt.Errorf("%w: %d proof hashes, more than 64", ErrMalformedProof, len(lines)-1)
	}
	idx, err := strconv.ParseUint(lines[0], 10, 63)
	if err != nil || lines[0] != strconv.FormatUint(idx, 10) {
		return nil, fmt.Errorf("%w: bad index %q", ErrMalformedProof, lines[0])
	}
	p := &Proof{Audit: ap, Index: idx, Checkpoint: cp}
	for _, l := range lines[1:] {
		h, err := tlog.ParseHash(l)
		if err != nil {
			return nil, fmt.Errorf("%w: bad proof hash %q", ErrMalformedProof, l)
		}
		p.Hashes = append(p.Hashes, h)
	}
	return p, nil
}

// Checked is what a proof proves: the record, the adapter checkpoint that
// covers it and the trail checkpoint that covers that.
type Checked struct {
	Record     audit.Record
	Checkpoint audit.Checkpoint // C, the adapter's
	Trail      log.Checkpoint   // T, the trail's
	Witnesses  []string         // the names of the witnesses that cosigned T, of those given
}

// Check verifies the proof: the audit proof with the adapter's checkpoint
// verifiers (see audit.CheckpointVerifiers), T's signature with trailKey,
// C's inclusion in T's tree at Index, and, for each of witnesses, a
// cosignature on T. The trail's origin is trailKey's name.
func (p *Proof) Check(adapter note.Verifiers, trailKey note.Verifier, witnesses ...note.Verifier) (*Checked, error) {
	rec, c, err := p.Audit.Check(adapter)
	if err != nil {
		return nil, fmt.Errorf("the record's proof in the adapter's log: %w", err)
	}
	t, _, n, err := log.ParseCheckpoint(p.Checkpoint, trailKey.Name(), trailKey, witnesses...)
	if err != nil {
		return nil, fmt.Errorf("the trail's checkpoint (origin %q): %w", trailKey.Name(), err)
	}
	out := &Checked{Record: rec, Checkpoint: c, Trail: *t}
	for _, w := range witnesses {
		if !signedBy(n, w) {
			return nil, fmt.Errorf("the trail's checkpoint %d has no cosignature of witness %q", t.Size, w.Name())
		}
		out.Witnesses = append(out.Witnesses, w.Name())
	}
	if p.Index >= t.Size {
		return nil, fmt.Errorf("the trail's checkpoint covers %d entries, not entry %d", t.Size, p.Index)
	}
	var root tlog.Hash
	copy(root[:], t.Hash)
	if len(t.Hash) != len(root) {
		return nil, fmt.Errorf("the trail's checkpoint has a %d-byte root hash", len(t.Hash))
	}
	leaf := tlog.RecordHash(p.Audit.Checkpoint)
	if err := tlog.CheckRecord(p.Hashes, int64(t.Size), root, int64(p.Index), leaf); err != nil {
		return nil, fmt.Errorf("the adapter's checkpoint %d is not entry %d of the trail's checkpoint %d: %w", c.N, p.Index, t.Size, err)
	}
	return out, nil
}

// signedBy reports whether n holds a verified signature of v.
func signedBy(n *note.Note, v note.Verifier) bool {
	for _, s := range n.Sigs {
		if s.Name == v.Name() && s.Hash == v.KeyHash() {
			return true
		}
	}
	return false
}
