package audit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// resign replaces the signature line of a signed checkpoint note with one
// of key ID hash over msg signed raw by k: what a caller who can have k
// sign chosen bytes (a signing service client, `tinywindow sign`) can make.
func resign(t *testing.T, note []byte, k provider.Signer, hash uint32, msg []byte) []byte {
	t.Helper()
	sig, err := k.Sign(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.LastIndex(note, []byte(" "))
	return append(bytes.Clone(note[:i+1]), base64.StdEncoding.EncodeToString(append(binary.BigEndian.AppendUint32(nil, hash), sig...))+"\n"...)
}

// TestCheckpointDomain: a checkpoint key other than Ed25519 signs
// CheckpointDomain and the note text, never the raw text, so a raw
// signature of the note text (the form checkpoints had before, and what
// any plain signing access to the key makes) does not open as a
// checkpoint; an Ed25519 key signs the raw text, a standard C2SP note.
func TestCheckpointDomain(t *testing.T) {
	c := Checkpoint{Origin: "example.com/log", Tree: tlog.Tree{N: 9, Hash: tlog.RecordHash([]byte("x"))}, Time: 1700000000000000001}
	dir := t.TempDir()
	seed := filepath.Join(dir, "seed")
	os.WriteFile(seed, []byte(strings.Repeat("ab", 32)), 0o600)
	mldsa, err := provider.Open(context.Background(), "pqc:alg=ML-DSA-65;seed-source=file:"+seed)
	if err != nil {
		t.Fatal(err)
	}
	defer mldsa.Close()
	ed := newEdKey(t)
	tests := []struct {
		name   string
		key    provider.Key
		domain string
	}{
		{"HMAC-SHA256", hmac.NewFromSeed(42), CheckpointDomain},
		{"ML-DSA-65", mldsa, CheckpointDomain},
		{"Ed25519", ed, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nk, err := newNoteKey(context.Background(), c.Origin, tc.key.Info(), tc.key)
			if err != nil {
				t.Fatal(err)
			}
			msg, _, err := appendSignedCheckpoint(context.Background(), nil, nil, c, nk, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			text, sigs, _ := cutNote(msg)
			if text != c.Text() {
				t.Fatalf("note text %q, want %q", text, c.Text())
			}
			_, b64, _ := strings.Cut(strings.TrimSpace(string(sigs)), c.Origin+" ")
			raw, _ := base64.StdEncoding.DecodeString(b64)
			if err := tc.key.Verify(context.Background(), []byte(tc.domain+text), raw[4:]); err != nil {
				t.Fatalf("the signature is not over %q and the note text: %v", tc.domain, err)
			}
			vs, _ := CheckpointVerifiers(c.Origin, []provider.Verifier{tc.key})
			if _, got, err := openCheckpoint(msg, vs); err != nil || got != c {
				t.Fatalf("open: %v", err)
			}
			if tc.domain == "" {
				return
			}
			if tc.key.Verify(context.Background(), []byte(text), raw[4:]) == nil {
				t.Fatal("the signature also verifies over the raw note text")
			}
			// The raw note text signed by the key, under the new and the
			// legacy key ID: neither opens.
			forged := resign(t, msg, tc.key, nk.hash, []byte(text))
			if _, _, err := openCheckpoint(forged, vs); !errors.Is(err, provider.ErrInvalidSignature) || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("raw signature under the checkpoint key ID: %v; want ErrInvalidSignature", err)
			}
			legacy := resign(t, msg, tc.key, nk.legacy, []byte(text))
			if _, _, err := openCheckpoint(legacy, vs); !errors.Is(err, ErrLegacyCheckpoint) || errors.Is(err, ErrCorrupt) {
				t.Fatalf("legacy checkpoint: %v; want ErrLegacyCheckpoint", err)
			}
		})
	}
}

// TestLegacyLogRefused: a log whose checkpoints were signed in the legacy
// form (the raw note text, signature type
// "tinywindow.dev/provider-signature/ALG") does not verify, with an error
// that says why and matches ErrLegacyCheckpoint, not ErrCorrupt (exit 2 in
// `audit verify`): it is neither accepted under the weaker rule nor
// reported as changed.
func TestLegacyLogRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
	orig := writeLog(t, path, Always, 5)
	k, keys := key(t, 42)
	head, recs := splitRecords(orig)
	b := bytes.Clone(head)
	for _, r := range recs {
		body := r[:len(r)-HashSize]
		if Type(body[4]) == TypeCheckpoint {
			// Written as the writer did before: the raw text signed, under
			// the legacy key ID.
			note := body[lenSize+headSize:]
			text, _, _ := cutNote(note)
			c, err := ParseCheckpoint(text)
			if err != nil {
				t.Fatal(err)
			}
			nk, _ := newNoteKey(context.Background(), c.Origin, k.Info(), k)
			body = append(bytes.Clone(body[:lenSize+headSize]), resign(t, note, k, nk.legacy, []byte(text))...)
		}
		b = append(b, rehash(body)...)
	}
	_, err := Verify(context.Background(), bytes.NewReader(b), VerifyOptions{Keys: keys})
	if !errors.Is(err, ErrLegacyCheckpoint) || errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "checkpoint key of its own") {
		t.Fatalf("legacy log: %v; want ErrLegacyCheckpoint, not ErrCorrupt, with a remedy", err)
	}
	if errors.Is(err, provider.ErrKeyNotFound) {
		t.Fatalf("legacy log: %v; the key is known, its form is not", err)
	}
}

// TestParseCheckpointRefusesControlCharacters: a text that note.Open would
// refuse (an ASCII control character other than the newline, bytes that are
// not UTF-8) is not a checkpoint, so no byte string signed under a domain
// (each ends in a zero byte) parses as one.
func TestParseCheckpointRefusesControlCharacters(t *testing.T) {
	good := Checkpoint{Origin: "example.com/log", Tree: tlog.Tree{N: 9, Hash: tlog.RecordHash([]byte("x"))}, Time: 1}.Text()
	tests := []struct {
		name string
		text string
		ok   bool
	}{
		{"as Text makes it", good, true},
		{"under the checkpoint domain", CheckpointDomain + good, false},
		{"a zero byte in the origin", "example.com/\x00log" + good[len("example.com/log"):], false},
		{"a tab in the origin", "example.com/\tlog" + good[len("example.com/log"):], false},
		{"a carriage return before a newline", strings.Replace(good, "\n", "\r\n", 1), false},
		{"bytes that are not UTF-8", "example.com/\xfflog" + good[len("example.com/log"):], false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCheckpoint(tc.text)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseCheckpoint(%q): %v", tc.text, err)
			}
			if err != nil && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not match ErrCorrupt", err)
			}
		})
	}
}
