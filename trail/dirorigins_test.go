package trail

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestDirOriginsUpdateExcludes: Updates of one origin through two stores
// on one directory (as two processes have: each its own flock) and many
// goroutines never interleave: every read-modify-write counts, under any
// scheduling. Another origin is not held up by a held one.
func TestDirOriginsUpdateExcludes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var stores [2]*dirOrigins
	for i := range stores {
		s, err := openDirOrigins(dir)
		if err != nil {
			t.Fatal(err)
		}
		stores[i] = s
	}
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range each {
				err := stores[w%2].Update(ctx, "o", func(last Accepted, ok bool) (*Accepted, error) {
					next := last
					next.Index++
					return &next, nil
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	a, ok, err := stores[1].Latest(ctx, "o")
	if err != nil || !ok || a.Index != workers*each {
		t.Errorf("after %d Updates: %d, %v, %v", workers*each, a.Index, ok, err)
	}

	// One store holds "o"; the other waits for it until its context ends,
	// and meanwhile updates "p".
	held := make(chan struct{})
	release := make(chan struct{})
	go stores[0].Update(ctx, "o", func(Accepted, bool) (*Accepted, error) {
		close(held)
		<-release
		return nil, nil
	})
	<-held
	if err := stores[1].Update(ctx, "p", func(Accepted, bool) (*Accepted, error) { return &Accepted{Index: 1}, nil }); err != nil {
		t.Errorf("another origin: %v", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err = stores[1].Update(cctx, "o", func(Accepted, bool) (*Accepted, error) {
		t.Error("ran while another store held the origin")
		return nil, nil
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting on a held origin: %v, want the context's error", err)
	}
	close(release)
}

// TestDirOriginsEvidence: evidence is kept once per refused note, read
// back oldest first, and survives a reopen.
func TestDirOriginsEvidence(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), ".trail")
	s, _ := openDirOrigins(dir)
	t0 := time.Unix(1000, 0).UTC()
	for i, e := range []Evidence{
		{Origin: "o", Refused: []byte("b"), Reason: "second", Time: t0.Add(time.Second)},
		{Origin: "o", Refused: []byte("a"), Reason: "first", Time: t0},
		{Origin: "o", Refused: []byte("a"), Reason: "first again", Time: t0.Add(time.Hour)},
		{Origin: "p", Refused: []byte("a"), Reason: "other origin", Time: t0},
	} {
		if err := s.AddEvidence(ctx, e); err != nil {
			t.Fatalf("evidence %d: %v", i, err)
		}
	}
	s, _ = openDirOrigins(dir)
	ev, err := s.Evidence(ctx, "o")
	if err != nil {
		t.Fatal(err)
	}
	if len(ev) != 2 || ev[0].Reason != "first" || ev[1].Reason != "second" {
		t.Errorf("evidence of o: %+v", ev)
	}
	if ev, _ := s.Evidence(ctx, "none"); len(ev) != 0 {
		t.Errorf("evidence of an origin with none: %+v", ev)
	}
}

// TestStateSlotsTornWrite: a state update cut short by a crash, at any
// byte, leaves the state before it; a complete one is read back.
func TestStateSlotsTornWrite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, _ := openDirOrigins(dir)
	for i := range uint64(2) {
		if err := s.Update(ctx, "o", func(Accepted, bool) (*Accepted, error) { return &Accepted{Index: 10 + i, Note: []byte("note")}, nil }); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	p := s.statePath("o")
	orig, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	// The state of sequence 2 (index 11) is in slot 0; tear it at a few
	// points, as a crash during its write would.
	for _, cut := range []int{1, 8, 19, stateHeaderSize, stateHeaderSize + 5} {
		torn := bytes.Clone(orig)
		torn[cut] ^= 0xff
		if err := os.WriteFile(p, torn, 0o600); err != nil {
			t.Fatal(err)
		}
		a, ok, err := s.Latest(ctx, "o")
		if err != nil || !ok || a.Index != 10 {
			t.Errorf("slot 0 torn at byte %d: index %d, %v, %v; want the state before, index 10", cut, a.Index, ok, err)
		}
	}
	os.WriteFile(p, orig, 0o600)
	if a, ok, err := s.Latest(ctx, "o"); err != nil || !ok || a.Index != 11 || string(a.Note) != "note" {
		t.Errorf("intact: %+v, %v, %v; want index 11", a, ok, err)
	}
}
