package audit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/tinywindow/tinywindow/internal/regularfile"
	"github.com/tinywindow/tinywindow/provider"
)

// TestOutsideCheckpointsDamaged: a checkpoints file changed in any way
// (a note's frame, a key name, an origin, nothing left) gives an error
// matching ErrCorrupt, from ReadCheckpoints or from Verify; the intact
// file verified with a key that is not the log's gives ErrKeyNotFound,
// not ErrCorrupt.
func TestOutsideCheckpointsDamaged(t *testing.T) {
	hk, hkeys := key(t, 42)
	_, hother := key(t, 7)
	ek, eother := newEdKey(t), newEdKey(t)
	ekeys, err := provider.NewKeyring(ek)
	if err != nil {
		t.Fatal(err)
	}
	eotherKeys, err := provider.NewKeyring(eother)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []struct {
		name        string
		signer      provider.Signer
		keys, other *provider.Keyring
	}{
		{"HMAC", hk, hkeys, hother},
		// An Ed25519 key names its note verifier by the origin: an
		// origin no key can be named by fails before any signature.
		{"Ed25519", ek, ekeys, eotherKeys},
	} {
		path := filepath.Join(t.TempDir(), "a.log")
		w, _, err := Open(path, Options{Signer: k.signer, Durability: Always, CheckpointEvery: 3})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			if err := w.Append(TypeNote, int64(i+1), []byte("note")); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		good, err := os.ReadFile(path + ".checkpoints")
		if err != nil {
			t.Fatal(err)
		}
		first := bytes.IndexByte(good, '\n')
		for _, tc := range []struct {
			name    string
			file    []byte
			keys    *provider.Keyring
			corrupt bool // else ErrKeyNotFound
		}{
			{"intact, another key", good, k.other, false},
			{"key name changed", bytes.Replace(good, []byte("\u2014 t"), []byte("\u2014 T"), 1), k.keys, true},
			{"origin changed to no key name", append(append(bytes.Clone(good[:first]), "+x"...), good[first:]...), k.keys, true},
			{"origin changed", append(append(bytes.Clone(good[:first]), "x"...), good[first:]...), k.keys, true},
			{"cut inside the first note", good[:first+3], k.keys, true},
			{"empty", nil, k.keys, true},
		} {
			t.Run(k.name+"/"+tc.name, func(t *testing.T) {
				ck := filepath.Join(t.TempDir(), "ck")
				if err := os.WriteFile(ck, tc.file, 0o600); err != nil {
					t.Fatal(err)
				}
				notes, err := ReadCheckpoints(ck)
				if err == nil {
					_, err = verifyPath(path, VerifyOptions{Keys: tc.keys, Checkpoints: notes})
				}
				switch {
				case tc.corrupt && !errors.Is(err, ErrCorrupt):
					t.Fatalf("%v; want ErrCorrupt", err)
				case !tc.corrupt && (errors.Is(err, ErrCorrupt) || !errors.Is(err, provider.ErrKeyNotFound)):
					t.Fatalf("%v; want ErrKeyNotFound, not ErrCorrupt", err)
				}
				t.Log(err)
			})
		}
	}
}

// TestReadCheckpointsBounded: a named pipe in place of a checkpoints file
// is refused at once, not waited on, and a file over MaxCheckpointsSize is
// refused without being read (a sparse file: no disk is used).
func TestReadCheckpointsBounded(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCheckpoints(fifo); !errors.Is(err, regularfile.ErrNotRegular) {
		t.Fatalf("named pipe: %v; want ErrNotRegular", err)
	}
	big := filepath.Join(dir, "big")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxCheckpointsSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := ReadCheckpoints(big); !errors.Is(err, regularfile.ErrTooLarge) {
		t.Fatalf("over the limit: %v; want ErrTooLarge", err)
	}
}
