package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/provider"
)

// slowDisk is a log file whose fsyncs wait for gate while it is set, and
// whose writes take a pause; it counts the bytes written and the bytes every
// completed fsync covers.
type slowDisk struct {
	*os.File
	pause   time.Duration
	written atomic.Int64
	synced  atomic.Int64 // bytes written before the last completed fsync began

	mu      sync.Mutex
	gate    chan struct{} // fsyncs wait for it to close, while set
	entered chan struct{} // closed when an fsync waits on gate
}

func (d *slowDisk) Write(b []byte) (int, error) {
	if d.pause > 0 {
		time.Sleep(d.pause)
	}
	n, err := d.File.Write(b)
	d.written.Add(int64(n))
	return n, err
}

func (d *slowDisk) Sync() error {
	covered := d.written.Load()
	d.mu.Lock()
	gate, entered := d.gate, d.entered
	if gate != nil && entered != nil {
		close(entered)
		d.entered = nil
	}
	d.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if err := d.File.Sync(); err != nil {
		return err
	}
	for {
		s := d.synced.Load()
		if s >= covered || d.synced.CompareAndSwap(s, covered) {
			return nil
		}
	}
}

// hold makes the next fsyncs wait until release; the channel it returns is
// closed once one does.
func (d *slowDisk) hold() (entered <-chan struct{}, release func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	gate, e := make(chan struct{}), make(chan struct{})
	d.gate, d.entered = gate, e
	return e, func() {
		d.mu.Lock()
		d.gate = nil
		d.mu.Unlock()
		close(gate)
	}
}

// openSlow opens a log at path on a slowDisk whose writes take pause.
func openSlow(t *testing.T, path string, opts Options, pause time.Duration) (*Writer, *slowDisk) {
	t.Helper()
	var disk *slowDisk
	opts.OpenFile = func(p string) (File, error) {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, err
		}
		disk = &slowDisk{File: f, pause: pause}
		if cs, ok := opts.Signer.(*coverageSigner); ok {
			cs.disk.Store(disk)
		}
		return disk, nil
	}
	w, _, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	return w, disk
}

// checkNotes reads the log at path and checks that its notes are exactly
// "g<goroutine> n<i>" for i from 0 to n-1 of each goroutine, in order, and
// its sequence numbers consecutive.
func checkNotes(t *testing.T, path string, goroutines, n int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := newScanner(f)
	if err != nil {
		t.Fatal(err)
	}
	next := make([]int, goroutines)
	for seq := uint64(1); ; seq++ {
		r, err := s.next()
		if err != nil {
			break
		}
		if r.Seq != seq {
			t.Fatalf("record %d has sequence number %d", seq, r.Seq)
		}
		if r.Type != TypeNote {
			continue
		}
		var g, i int
		if _, err := fmt.Sscanf(strings.TrimRight(string(r.Payload), "p"), "g%d n%d", &g, &i); err != nil || g >= goroutines {
			t.Fatalf("record %d: payload %q", seq, r.Payload)
		}
		if i != next[g] {
			t.Fatalf("record %d: note %d of goroutine %d, want note %d: a record was lost or reordered", seq, i, g, next[g])
		}
		next[g]++
	}
	for g, got := range next {
		if got != n {
			t.Fatalf("goroutine %d: %d notes in the log, want %d", g, got, n)
		}
	}
}

// TestBackPressureKeepsEveryRecord: with a disk slower than the appends and
// a small pending bound, Appends from several goroutines meet back-pressure
// (counted in Stats) and write the records themselves; every record is in
// the log, in each goroutine's order, and the log verifies.
func TestBackPressureKeepsEveryRecord(t *testing.T) {
	k, r := key(t, 42)
	path := filepath.Join(t.TempDir(), "a.log")
	w, _ := openSlow(t, path, Options{Signer: k, Durability: Batch, BatchBytes: 4096, BatchInterval: time.Millisecond, CheckpointEvery: 300}, 200*time.Microsecond)
	const goroutines, n = 3, 3000
	pad := strings.Repeat("p", 100)
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				if err := w.Append(TypeNote, 1, fmt.Appendf(nil, "g%d n%d", g, i), []byte(pad)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := w.Stats()
	if st.BackPressure == 0 || st.BackPressureBytes < 4096*st.BackPressure {
		t.Fatalf("stats %+v: want Appends that met back-pressure, each writing at least BatchBytes", st)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	checkNotes(t, path, goroutines, n)
	if _, err := VerifyFile(context.Background(), path, r); err != nil {
		t.Fatal(err)
	}
}

// TestBackPressureDoesNotWaitForFsync: while an fsync hangs, Appends past
// twice the pending bound still return (they write, they do not wait for
// the disk), nothing written since counts as durable, and once the fsync
// returns every record is there.
func TestBackPressureDoesNotWaitForFsync(t *testing.T) {
	k, r := key(t, 42)
	path := filepath.Join(t.TempDir(), "a.log")
	w, disk := openSlow(t, path, Options{Signer: k, Durability: Batch, BatchBytes: 4096, BatchInterval: time.Millisecond}, 0)
	entered, release := disk.hold()
	if err := w.Append(TypeNote, 1, []byte("g0 n0")); err != nil {
		t.Fatal(err)
	}
	<-entered // the flusher waits in an fsync from now on
	durable := w.Durable()
	const n = 2000
	done := make(chan error, 1)
	go func() {
		for i := 1; i < n; i++ {
			if err := w.Append(TypeNote, 1, fmt.Appendf(nil, "g0 n%d", i), []byte(strings.Repeat("p", 100))); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute): // a liveness bound, not a speed one
		t.Fatal("Appends under back-pressure waited for a hanging fsync")
	}
	if st := w.Stats(); st.BackPressure == 0 {
		t.Fatalf("stats %+v: %d records of over 100 bytes with a 4096-byte bound met no back-pressure", st, n)
	}
	if got := w.Durable(); got != durable {
		t.Fatalf("durable went from %d to %d while the fsync hung", durable, got)
	}
	release()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	checkNotes(t, path, 1, n)
	if _, err := VerifyFile(context.Background(), path, r); err != nil {
		t.Fatal(err)
	}
}

// coverageSigner checks, as it signs each checkpoint, that the records the
// checkpoint covers are all on stable storage: that the bytes the last
// completed fsync covered reach the end of record N.
type coverageSigner struct {
	provider.Key
	path string
	disk atomic.Pointer[slowDisk]
	bad  atomic.Value // string
	n    atomic.Int64
}

func (s *coverageSigner) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	if c, err := ParseCheckpoint(strings.TrimPrefix(string(msg), CheckpointDomain)); err == nil && c.N > 0 {
		synced := s.disk.Load().synced.Load() // before reading: the file only grows
		if end, err := recordEnd(s.path, uint64(c.N)); err != nil {
			s.bad.Store(err.Error())
		} else if end > synced {
			s.bad.Store(fmt.Sprintf("checkpoint of %d records ends at byte %d, but fsyncs covered %d bytes", c.N, end, synced))
		}
		s.n.Add(1)
	}
	return s.Key.Sign(ctx, msg)
}

// recordEnd returns the offset just past record seq of the log at path.
func recordEnd(path string, seq uint64) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s, err := newScanner(f)
	if err != nil {
		return 0, err
	}
	for {
		r, err := s.next()
		if err != nil {
			return 0, fmt.Errorf("record %d is not in the file: %w", seq, err)
		}
		if r.Seq == seq {
			return s.off, nil
		}
	}
}

// TestCheckpointsCoverOnlySyncedRecords: with fsyncs that lag behind the
// writes (back-pressure writes while the flusher waits), every checkpoint
// the writer signs covers only records an fsync has completed for.
func TestCheckpointsCoverOnlySyncedRecords(t *testing.T) {
	k, r := key(t, 42)
	cs := &coverageSigner{Key: k, path: filepath.Join(t.TempDir(), "a.log")}
	w, _ := openSlow(t, cs.path, Options{Signer: cs, Durability: Batch, BatchBytes: 4096, BatchInterval: time.Millisecond, CheckpointEvery: 100}, 100*time.Microsecond)
	for i := range 5000 {
		if err := w.Append(TypeNote, 1, fmt.Appendf(nil, "g0 n%d", i), []byte(strings.Repeat("p", 100))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if bad, _ := cs.bad.Load().(string); bad != "" {
		t.Fatal(bad)
	}
	if cs.n.Load() < 3 {
		t.Fatalf("%d checkpoints signed; want several", cs.n.Load())
	}
	checkNotes(t, cs.path, 1, 5000)
	if _, err := VerifyFile(context.Background(), cs.path, r); err != nil {
		t.Fatal(err)
	}
}

func TestDefaultBatchBytes(t *testing.T) {
	tests := []struct {
		interval time.Duration
		want     int
	}{
		{time.Millisecond, 1 << 20},
		{2 * time.Millisecond, 1 << 20},
		{5 * time.Millisecond, 2 << 20},
		{10 * time.Millisecond, 5 << 20},
		{time.Second, 16 << 20},
	}
	for _, tc := range tests {
		if got := defaultBatchBytes(tc.interval); got != tc.want {
			t.Errorf("defaultBatchBytes(%v) = %d, want %d", tc.interval, got, tc.want)
		}
	}
	k, _ := key(t, 42)
	w, _, err := Open(filepath.Join(t.TempDir(), "a.log"), Options{Signer: k, Durability: Batch, BatchInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if w.opts.BatchBytes != 5<<20 || cap(w.buf) != 2*(5<<20)+1<<16 {
		t.Fatalf("BatchBytes %d, buffer of %d bytes", w.opts.BatchBytes, cap(w.buf))
	}
}
