package audit

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/killswitch"
	"github.com/tinywindow/tinywindow/provider"
)

func killPayload(t testing.TB, a killswitch.Action, identity string) []byte {
	t.Helper()
	b, err := killswitch.Event{Action: a, Kill: 1, Scope: killswitch.Scope{Kind: killswitch.Account, Value: "ACC-1"},
		Identity: identity, Reason: "runaway"}.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCheckpointCoversRecords: Checkpoint signs, at once, a checkpoint that
// covers the records appended before it, which no interval or count would
// have made due yet; Verify lists the kill records.
func TestCheckpointCoversRecords(t *testing.T) {
	for _, d := range []Durability{Always, Batch} {
		t.Run(d.String(), func(t *testing.T) {
			k, r := key(t, 42)
			path := filepath.Join(t.TempDir(), "a.log")
			w, _, err := Open(path, Options{Signer: k, Durability: d, CheckpointEvery: 1 << 20, CheckpointInterval: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			w.Append(TypeNote, 1, []byte("before"))
			if err := w.Append(TypeKill, 2, killPayload(t, killswitch.ActionKill, "alice")); err != nil {
				t.Fatal(err)
			}
			seq := w.Seq()
			if c, _ := latestCheckpoint(path + ".checkpoints"); c.N >= int64(seq) {
				t.Fatalf("a checkpoint of size %d covers record %d before Checkpoint", c.N, seq)
			}
			if err := w.Checkpoint(context.Background()); err != nil {
				t.Fatal(err)
			}
			c, err := latestCheckpoint(path + ".checkpoints")
			if err != nil || c.N < int64(seq) {
				t.Fatalf("after Checkpoint the checkpoints file's latest is of size %d (%v); want at least %d", c.N, err, seq)
			}
			if w.Durable() <= seq {
				t.Fatalf("durable %d: the checkpoint record after record %d is not on stable storage", w.Durable(), seq)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := w.Checkpoint(context.Background()); !errors.Is(err, ErrClosed) {
				t.Fatalf("Checkpoint after Close: %v, want ErrClosed", err)
			}
			rep, err := VerifyFile(context.Background(), path, r)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Kills) != 1 || rep.Kills[0].Identity != "alice" || rep.Kills[0].Time != time.Unix(0, 2).UTC() || rep.ByType[TypeKill] != 1 {
				t.Fatalf("Report.Kills = %v, ByType %v", rep.Kills, rep.ByType)
			}
		})
	}
}

// TestCheckpointWaitsForSigner: while the checkpoint key hangs, Checkpoint
// waits as long as ctx allows; once the key answers, it returns with the
// record covered.
func TestCheckpointWaitsForSigner(t *testing.T) {
	k, _ := key(t, 42)
	s := &slowSigner{Key: k}
	path := filepath.Join(t.TempDir(), "a.log")
	w, _, err := Open(path, Options{Signer: s, Durability: Always, CheckpointInterval: time.Hour, CheckpointTimeout: time.Minute,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	s.mu.Lock()
	s.release = make(chan struct{})
	s.mu.Unlock()
	w.Append(TypeKill, 1, killPayload(t, killswitch.ActionKill, "alice"))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := w.Checkpoint(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Checkpoint with a hung key: %v, want DeadlineExceeded", err)
	}
	w.Append(TypeKill, 2, killPayload(t, killswitch.ActionApprove, "bob"))
	seq := w.Seq()
	done := make(chan error, 1)
	go func() { done <- w.Checkpoint(context.Background()) }()
	s.mu.Lock()
	close(s.release)
	s.release = nil
	s.mu.Unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if c, _ := latestCheckpoint(path + ".checkpoints"); c.N < int64(seq) {
		t.Fatalf("latest checkpoint of size %d, want at least %d", c.N, seq)
	}
}

func TestAppendRefusesBadKillPayload(t *testing.T) {
	k, _ := key(t, 42)
	w, _, err := Open(filepath.Join(t.TempDir(), "a.log"), Options{Signer: k})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	good := killPayload(t, killswitch.ActionKill, "alice")
	for name, parts := range map[string][][]byte{
		"empty":          nil,
		"cut short":      {good[:len(good)-1]},
		"trailing byte":  {good, {0}},
		"empty identity": {killPayload(t, killswitch.ActionKill, "alice")[:11], {0, 0, 1, 'r'}},
		"garbage":        {[]byte("kill everything")},
	} {
		if err := w.Append(TypeKill, 1, parts...); !errors.Is(err, provider.ErrInvalidConfig) || !errors.Is(err, killswitch.ErrInvalid) {
			t.Errorf("%s: Append: %v, want ErrInvalidConfig and killswitch.ErrInvalid", name, err)
		}
	}
	if err := w.Append(TypeKill, 1, good[:5], good[5:]); err != nil {
		t.Errorf("a good event in two parts: %v", err)
	}
}

// TestVerifyRefusesBadKillRecord: a kill record whose payload is not an
// event (written past Append's check, with a valid leaf hash and a signed
// checkpoint over it) is named by Verify.
func TestVerifyRefusesBadKillRecord(t *testing.T) {
	k, r := key(t, 42)
	path := filepath.Join(t.TempDir(), "a.log")
	w, _, err := Open(path, Options{Signer: k})
	if err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	seq := w.appendLocked(TypeKill, 1, []byte("kill everything"))
	w.mu.Unlock()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = VerifyFile(context.Background(), path, r)
	var bad *BadRecordError
	if !errors.As(err, &bad) || bad.Record != seq || !errors.Is(err, ErrCorrupt) || !errors.Is(err, killswitch.ErrInvalid) {
		t.Fatalf("Verify: %v; want a BadRecordError naming record %d", err, seq)
	}
}
