package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/provider"
)

// Checkpoint is a signed tree head of a log in the C2SP tlog-checkpoint
// format, the text of a C2SP signed note:
//
//	<origin>
//	<tree size>
//	<root hash, base64>
//	time <Unix nanoseconds>
//	clock <the host clock's state> (see [Clock])
//
// The time and clock lines are extension lines, which C2SP tlog-checkpoint
// allows after the root hash; every line is covered by the signature and by
// a witness's Ed25519 cosignature. Checkpoints written before clock lines
// have none: their Clock's State is ClockAbsent.
type Checkpoint struct {
	Origin string
	tlog.Tree
	Time  int64
	Clock Clock
}

// Text returns the checkpoint's note text.
func (c Checkpoint) Text() string { return string(c.appendText(nil)) }

func (c Checkpoint) appendText(dst []byte) []byte {
	dst = append(append(dst, c.Origin...), '\n')
	dst = append(strconv.AppendInt(dst, c.N, 10), '\n')
	dst = append(base64.StdEncoding.AppendEncode(dst, c.Hash[:]), '\n')
	dst = append(dst, "time "...)
	dst = append(strconv.AppendInt(dst, c.Time, 10), '\n')
	return c.Clock.appendLine(dst)
}

// ParseCheckpoint parses a checkpoint's note text, as Text formats it, with
// or without a clock line, and no other extension line. Like
// note.Open, it refuses text that is not UTF-8 or holds an ASCII control
// character other than the newline, so that no byte string signed under a
// domain of the project's (each ends in a zero byte) is a checkpoint.
func ParseCheckpoint(text string) (Checkpoint, error) {
	var c Checkpoint
	bad := func(why string) (Checkpoint, error) {
		return Checkpoint{}, fmt.Errorf("%w: malformed checkpoint: %s", ErrCorrupt, why)
	}
	for i, r := range text {
		if r < 0x20 && r != '\n' || r == utf8.RuneError {
			return bad(fmt.Sprintf("byte %d: not UTF-8 text without control characters", i))
		}
	}
	lines := strings.Split(text, "\n")
	if len(lines) < 5 || len(lines) > 6 || lines[len(lines)-1] != "" {
		return bad(fmt.Sprintf("%d lines, want 4, or 5 with a clock line", len(lines)-1))
	}
	c.Origin = lines[0]
	if c.Origin == "" {
		return bad("empty origin")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || lines[1] != strconv.FormatInt(n, 10) {
		return bad(fmt.Sprintf("tree size %q", lines[1]))
	}
	c.N = n
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != HashSize || lines[2] != base64.StdEncoding.EncodeToString(h) {
		return bad(fmt.Sprintf("root hash %q", lines[2]))
	}
	copy(c.Hash[:], h)
	ts, ok := strings.CutPrefix(lines[3], "time ")
	t, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil || ts != strconv.FormatInt(t, 10) {
		return bad(fmt.Sprintf("time line %q", lines[3]))
	}
	c.Time = t
	if len(lines) == 6 {
		if c.Clock, err = parseClockLine(lines[4]); err != nil {
			return bad(err.Error())
		}
	}
	return c, nil
}

// CheckpointDomain prefixes the bytes a key other than Ed25519 signs for a
// checkpoint: the signature covers CheckpointDomain followed by the note
// text. No other signature of the project starts with it (see
// docs/verification.md), so a key that signs orders, acks or anything else
// under its own domain never makes a checkpoint signature by accident. It
// does not stop a caller who can have the key sign chosen bytes: a
// checkpoint key needs a purpose of its own.
const CheckpointDomain = "TinyWindow audit checkpoint v1\x00"

// sigTypeCheckpoint is the C2SP signed-note signature type of checkpoints
// signed by a key that is not Ed25519: 0xff, reserved for types without an
// assigned byte, followed by this identifier and the key's algorithm. The
// signature is over CheckpointDomain and the note text.
const sigTypeCheckpoint = "\xfftinywindow.dev/audit-checkpoint-v1/"

// sigTypeLegacy is the signature type of checkpoints written before they
// carried CheckpointDomain: the same key signed the raw note text. Such a
// signature is never accepted (anyone who could have the key sign chosen
// bytes could have made it); its key ID is recognised only to say so.
const sigTypeLegacy = "\xfftinywindow.dev/provider-signature/"

// ErrLegacyCheckpoint matches the error of a checkpoint signed in the
// legacy form, over the raw note text without CheckpointDomain. It also
// matches provider.ErrUnsupported, not ErrCorrupt: nothing shows the log
// was changed, and nothing shows it was not.
var ErrLegacyCheckpoint = fmt.Errorf(`%w: checkpoint signed over the raw note text, without the domain "TinyWindow audit checkpoint v1\0"`, provider.ErrUnsupported)

// noteKey is a provider key seen as a signed-note key named name (the log's
// origin). An Ed25519 key is a standard note key (type 0x01, verifiable with
// note.NewVerifier) and signs the raw note text, as C2SP tools expect; any
// other key signs CheckpointDomain ‖ note text with its own algorithm under
// type 0xff "tinywindow.dev/audit-checkpoint-v1/ALG", its key ID being
// SHA-256(name ‖ "\n" ‖ that type ‖ "\n" ‖ the provider key ID)[:4].
type noteKey struct {
	name   string
	hash   uint32
	legacy uint32 // the key ID of the legacy type, for keys other than Ed25519
	id     string // the provider key ID
	alg    provider.Algorithm
	ctx    context.Context
	s      provider.Signer
	v      provider.Verifier
	pub    ed25519.PublicKey // for Ed25519 keys
}

func newNoteKey(ctx context.Context, name string, info provider.KeyInfo, k any) (*noteKey, error) {
	nk := &noteKey{name: name, ctx: ctx, id: info.ID, alg: info.Algorithm}
	nk.s, _ = k.(provider.Signer)
	nk.v, _ = k.(provider.Verifier)
	if info.Algorithm == provider.Ed25519 {
		pk, ok := k.(provider.PublicKeyer)
		if !ok {
			return nil, fmt.Errorf("%w: Ed25519 key %s does not give its public key", provider.ErrInvalidConfig, info.ID)
		}
		pub, ok := pk.Public().(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%w: Ed25519 key %s gives a %T public key", provider.ErrInvalidConfig, info.ID, pk.Public())
		}
		vkey, err := note.NewEd25519VerifierKey(name, pub)
		if err != nil {
			return nil, fmt.Errorf("%w: checkpoint key name %q: %w", provider.ErrInvalidConfig, name, err)
		}
		v, err := note.NewVerifier(vkey)
		if err != nil {
			return nil, fmt.Errorf("%w: checkpoint key name %q: %w", provider.ErrInvalidConfig, name, err)
		}
		nk.hash, nk.pub = v.KeyHash(), pub
		return nk, nil
	}
	nk.hash = noteKeyHash(name, sigTypeCheckpoint, info)
	nk.legacy = noteKeyHash(name, sigTypeLegacy, info)
	return nk, nil
}

// noteKeyHash is the signed-note key ID of a provider key of signature
// type typ (followed by the algorithm).
func noteKeyHash(name, typ string, info provider.KeyInfo) uint32 {
	h := sha256.Sum256([]byte(name + "\n" + typ + string(info.Algorithm) + "\n" + info.ID))
	return binary.BigEndian.Uint32(h[:])
}

// domain returns what precedes the note text in the bytes the key signs:
// nothing for an Ed25519 key (a standard C2SP note), CheckpointDomain for
// any other.
func (k *noteKey) domain() string { return checkpointDomain(k.alg) }

func (k *noteKey) Name() string    { return k.name }
func (k *noteKey) KeyHash() uint32 { return k.hash }

func (k *noteKey) Sign(msg []byte) ([]byte, error) {
	if k.s == nil {
		return nil, errors.New("audit: checkpoint key cannot sign")
	}
	return k.s.Sign(k.ctx, append([]byte(k.domain()), msg...))
}

func (k *noteKey) Verify(msg, sig []byte) bool {
	if k.pub != nil {
		return ed25519.Verify(k.pub, msg, sig)
	}
	return k.v != nil && k.v.Verify(k.ctx, append([]byte(k.domain()), msg...), sig) == nil
}

// VerifierKey returns the standard signed-note verifier key
// ("name+hash+base64") of an Ed25519 checkpoint key, which
// note.NewVerifier accepts, and "" for other keys.
func (k *noteKey) VerifierKey() string {
	if k.pub == nil {
		return ""
	}
	s, _ := note.NewEd25519VerifierKey(k.name, k.pub)
	return s
}

// CheckpointVerifierKey returns the standard C2SP signed-note verifier key
// of an Ed25519 checkpoint key for the log origin, for tools outside this
// project (note.NewVerifier, litewitness), and an error for other keys.
func CheckpointVerifierKey(origin string, k provider.Verifier) (string, error) {
	nk, err := newNoteKey(context.Background(), origin, k.Info(), k)
	if err != nil {
		return "", err
	}
	if nk.pub == nil {
		return "", fmt.Errorf("%w: a %s key has no standard signed-note verifier key (only Ed25519 has)", provider.ErrInvalidConfig, k.Info().Algorithm)
	}
	return nk.VerifierKey(), nil
}

// appendSignedCheckpoint appends the signed note of c to dst: the text, a
// blank line and one signature line, byte for byte what note.Sign makes
// (the tests check it), without allocating where the key implements
// provider.AppendSigner. sig is a scratch buffer, returned for reuse. A key
// that is a [ProvenSigner] signs through SignCheckpoint, with prev and
// prove.
func appendSignedCheckpoint(ctx context.Context, dst, sig []byte, c Checkpoint, k *noteKey, prev int64, prove func(int64) ([]tlog.Hash, error)) (out, sigOut []byte, err error) {
	if k.s == nil {
		return dst, sig, errors.New("audit: checkpoint key cannot sign")
	}
	// The signed bytes are the domain and the text, made in dst; the text
	// then moves over the domain.
	start := len(dst)
	dst = append(dst, k.domain()...)
	text := len(dst)
	dst = c.appendText(dst)
	sig = binary.BigEndian.AppendUint32(sig[:0], k.hash)
	if ps, ok := k.s.(ProvenSigner); ok {
		var s []byte
		s, err = ps.SignCheckpoint(ctx, dst[text:], prev, prove)
		sig = append(sig, s...)
	} else {
		sig, err = provider.SignAppend(ctx, k.s, sig, dst[start:])
	}
	if err != nil {
		return dst[:start], sig, err
	}
	dst = dst[:start+copy(dst[start:], dst[text:])]
	dst = append(dst, "\n\u2014 "...)
	dst = append(append(dst, k.name...), ' ')
	dst = base64.StdEncoding.AppendEncode(dst, sig)
	return append(dst, '\n'), sig, nil
}

// openCheckpoint verifies a signed note with the verifiers and parses it.
// A note none of them signed gives an error matching
// provider.ErrKeyNotFound; a bad signature one matching
// provider.ErrInvalidSignature and ErrCorrupt.
func openCheckpoint(msg []byte, vs note.Verifiers) (*note.Note, Checkpoint, error) {
	n, err := note.Open(msg, vs)
	if err != nil {
		var unv *note.UnverifiedNoteError
		var inv *note.InvalidSignatureError
		switch {
		case errors.As(err, &unv):
			if err := legacySignature(vs, unv.Note.UnverifiedSigs); err != nil {
				return nil, Checkpoint{}, err
			}
			return nil, Checkpoint{}, fmt.Errorf("%w: the checkpoint is not signed by the given key (signed by %s)", provider.ErrKeyNotFound, sigNames(unv.Note.UnverifiedSigs))
		case errors.As(err, &inv):
			return nil, Checkpoint{}, fmt.Errorf("%w: checkpoint signature: %w: %w", ErrCorrupt, provider.ErrInvalidSignature, err)
		}
		return nil, Checkpoint{}, fmt.Errorf("%w: checkpoint: %w", ErrCorrupt, err)
	}
	c, err := ParseCheckpoint(n.Text)
	return n, c, err
}

// noteVerifiers is the note.Verifiers of checkpoint keys and witnesses
// (CheckpointVerifiers). It also knows the legacy key IDs of the checkpoint
// keys, to name a legacy signature rather than call it unknown.
type noteVerifiers struct {
	note.Verifiers
	keys []*noteKey
}

func newNoteVerifiers(keys []*noteKey, witnesses []note.Verifier) *noteVerifiers {
	list := make([]note.Verifier, 0, len(keys)+len(witnesses))
	for _, k := range keys {
		list = append(list, k)
	}
	return &noteVerifiers{Verifiers: note.VerifierList(append(list, witnesses...)...), keys: keys}
}

// legacySignature returns an error matching ErrLegacyCheckpoint if one of
// sigs is a legacy signature of a checkpoint key of vs, and nil otherwise.
func legacySignature(vs note.Verifiers, sigs []note.Signature) error {
	nv, ok := vs.(*noteVerifiers)
	if !ok {
		return nil
	}
	for _, g := range sigs {
		for _, k := range nv.keys {
			if k.pub == nil && g.Name == k.name && g.Hash == k.legacy {
				return fmt.Errorf("%w, by key %s: not accepted, since anyone who could have that key sign chosen bytes could have made it; verify the log with the release that wrote it, and start a new log with a checkpoint key of its own", ErrLegacyCheckpoint, k.id)
			}
		}
	}
	return nil
}

func sigNames(sigs []note.Signature) string {
	var s []string
	for _, g := range sigs {
		s = append(s, fmt.Sprintf("%s+%08x", g.Name, g.Hash))
	}
	if len(s) == 0 {
		return "no key"
	}
	return strings.Join(s, ", ")
}

// cosigVerifier verifies c2sp.org/tlog-cosignature timestamped Ed25519
// cosignatures (signature type 0x04) of a witness.
type cosigVerifier struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
}

// ParseWitnessKey parses a witness's verifier key "name+hash+base64(0x04 ‖
// Ed25519 public key)", as litewitness prints it.
func ParseWitnessKey(vkey string) (note.Verifier, error) {
	name, rest, _ := strings.Cut(vkey, "+")
	h16, k64, _ := strings.Cut(rest, "+")
	hash, err1 := strconv.ParseUint(h16, 16, 32)
	key, err2 := base64.StdEncoding.DecodeString(k64)
	if len(h16) != 8 || err1 != nil || err2 != nil || name == "" || len(key) != 1+ed25519.PublicKeySize || key[0] != 0x04 {
		return nil, fmt.Errorf("%w: witness key %q: want name+hash+base64 of 0x04 and an Ed25519 public key", provider.ErrInvalidConfig, vkey)
	}
	sum := sha256.Sum256(append([]byte(name+"\n"), key...))
	if binary.BigEndian.Uint32(sum[:]) != uint32(hash) {
		return nil, fmt.Errorf("%w: witness key %q: the key hash does not match the key", provider.ErrInvalidConfig, vkey)
	}
	return &cosigVerifier{name: name, hash: uint32(hash), pub: ed25519.PublicKey(key[1:])}, nil
}

func (v *cosigVerifier) Name() string    { return v.name }
func (v *cosigVerifier) KeyHash() uint32 { return v.hash }
func (v *cosigVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	m := fmt.Appendf(nil, "cosignature/v1\ntime %d\n%s", t, msg)
	return ed25519.Verify(v.pub, m, sig[8:])
}

// cosigned reports whether every witness in ws has a verified signature on n.
func cosignedBy(n *note.Note, w note.Verifier) bool {
	for _, s := range n.Sigs {
		if s.Name == w.Name() && s.Hash == w.KeyHash() {
			return true
		}
	}
	return false
}

// checkpointTime is the clock of checkpoints, a variable for the tests.
var checkpointTime = func() int64 { return time.Now().UnixNano() }

// splitNotes splits a checkpoints file: signed notes, each followed by a
// blank line.
func splitNotes(b []byte) ([][]byte, error) {
	spans, err := noteSpans(b)
	out := make([][]byte, len(spans))
	for i, sp := range spans {
		out[i] = b[sp[0]:sp[1]]
	}
	return out, err
}

// noteSpans returns the start and end of each note of a checkpoints file.
func noteSpans(b []byte) ([][2]int, error) {
	var out [][2]int
	pos := 0
	for pos < len(b) {
		// A note is its text (no blank line), a blank line, and signature
		// lines; the next blank line ends it.
		i := bytes.Index(b[pos:], []byte("\n\n"))
		if i < 0 {
			return out, fmt.Errorf("%w: checkpoints file: a note without signatures at its end", ErrCorrupt)
		}
		end := len(b)
		if j := bytes.Index(b[pos+i+2:], []byte("\n\n")); j >= 0 {
			end = pos + i + 2 + j + 1
		}
		out = append(out, [2]int{pos, end})
		pos = end
		if pos < len(b) && b[pos] == '\n' {
			pos++
		}
	}
	return out, nil
}

// completeNotes returns the length of the prefix of a checkpoints file made
// of complete notes, each followed by its blank line: what is left when the
// last append was cut short by a crash.
func completeNotes(b []byte) int {
	spans, _ := noteSpans(b)
	good := 0
	for _, sp := range spans {
		_, err := note.Open(b[sp[0]:sp[1]], nil)
		var unv *note.UnverifiedNoteError
		if !errors.As(err, &unv) || sp[1] >= len(b) || b[sp[1]] != '\n' {
			break
		}
		good = sp[1] + 1
	}
	return good
}

// cutNote splits a signed note into its text and its signature lines.
func cutNote(msg []byte) (text string, sigs []byte, ok bool) {
	i := bytes.Index(msg, []byte("\n\n"))
	if i < 0 {
		return "", nil, false
	}
	return string(msg[:i+1]), msg[i+2:], true
}
