package audit

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/tinywindow/tinywindow/internal/trailtest"
	"github.com/tinywindow/tinywindow/provider"
)

// trailLog is a log of an Ed25519 checkpoint key with an origin of its own,
// and a test trail that verifies its checkpoints, served over HTTP.
type trailLog struct {
	path   string
	opts   Options
	trail  *trailtest.Trail
	server *httptest.Server
	logs   *lockedBuffer // the writer's log lines
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// newTrailLog returns a trailLog whose trail is tr; opts are the log's
// options but for the signer, origin, logger and trail, which it sets.
func newTrailLog(t *testing.T, tr *trailtest.Trail, opts Options) *trailLog {
	t.Helper()
	ek := newEdKey(t)
	origin := "example.com/tinywindow/trail-test"
	vkey, err := CheckpointVerifierKey(origin, ek)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	tr.Verifiers = note.VerifierList(v)
	srv := httptest.NewServer(tr)
	t.Cleanup(srv.Close)
	if tr.Block != nil {
		// Cleanups run last first: the blocked handlers are let go before
		// the server waits for them.
		t.Cleanup(tr.Release)
	}
	opts.Signer, opts.Origin = ek, origin
	logs := &lockedBuffer{}
	opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	if opts.Trails == nil {
		opts.Trails = []Trail{{URL: srv.URL, Timeout: time.Minute}}
	}
	return &trailLog{path: filepath.Join(t.TempDir(), "a.log"), opts: opts, trail: tr, server: srv, logs: logs}
}

func (l *trailLog) open(t *testing.T) *Writer {
	t.Helper()
	w, _, err := Open(l.path, l.opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// appendN appends n notes.
func appendN(t *testing.T, w *Writer, n int) {
	t.Helper()
	for i := range n {
		if err := w.Append(TypeNote, int64(i), []byte("n")); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTrailForwarding runs two sessions of a log against a trail that
// checks every proof with tlog.CheckTree: the first sends old 0, then
// proves each checkpoint from the last one the trail accepted; the second,
// a new Writer that knows nothing of the trail, sends old 0, learns the
// trail's size from 409 Conflict and proves from there. Every checkpoint
// the trail accepted is one of the log's, signed, and the counters say so.
func TestTrailForwarding(t *testing.T) {
	l := newTrailLog(t, &trailtest.Trail{}, Options{Durability: Always, CheckpointEvery: 10})
	w := l.open(t)
	appendN(t, w, 100)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	reqs := l.trail.Requests()
	if len(reqs) == 0 || reqs[0].Old != 0 || reqs[0].Status != http.StatusOK {
		t.Fatalf("first request %+v, want old 0 accepted", reqs)
	}
	for _, r := range reqs {
		if r.Status != http.StatusOK {
			t.Fatalf("first session: request %+v refused", r)
		}
	}
	first := len(reqs)
	entries := l.trail.Entries()
	if st.TrailAccepted != uint64(len(entries)) || st.TrailBehind != 0 || st.TrailFailures != 0 || st.TrailIndex != int64(len(entries)-1) {
		t.Fatalf("first session: stats %+v, %d entries", st, len(entries))
	}
	if got, want := l.trail.Size(w.Origin()), w.lastCkpt.N; got != want {
		t.Fatalf("the trail holds size %d, the log's last checkpoint %d", got, want)
	}
	proved := 0
	for _, r := range reqs[1:] {
		if r.Old > 0 && r.Proof > 0 {
			proved++
		}
	}
	if proved == 0 {
		t.Fatalf("no request proved consistency: %+v", reqs)
	}

	known := l.trail.Size(w.Origin())
	w = l.open(t)
	appendN(t, w, 30)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	reqs = l.trail.Requests()[first:]
	if len(reqs) < 2 || reqs[0].Old != 0 || reqs[0].Status != http.StatusConflict ||
		reqs[1].Old != known || reqs[1].Proof == 0 || reqs[1].Status != http.StatusOK {
		t.Fatalf("second session's requests %+v, want old 0 refused with 409, then old %d with a proof, accepted", reqs, known)
	}
	st = w.Stats()
	if st.TrailFailures != 1 || st.TrailBehind != 0 || l.trail.Size(w.Origin()) != w.lastCkpt.N {
		t.Fatalf("second session: stats %+v, trail at %d, log at %d", st, l.trail.Size(w.Origin()), w.lastCkpt.N)
	}
	notes, err := ReadCheckpoints(l.path + ".checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range l.trail.Entries() {
		if !containsNote(notes, e) {
			t.Fatalf("trail entry %d is not a checkpoint of the log:\n%s", i, e)
		}
	}
}

func containsNote(notes [][]byte, n []byte) bool {
	for _, x := range notes {
		if bytes.Equal(x, n) {
			return true
		}
	}
	return false
}

// TestTrailAnswers checks how the forwarder takes each answer of a trail
// that fails its first requests: every failure is counted and logged, and
// the same checkpoint is sent again after a backoff (100ms, doubling) until
// the trail accepts it.
func TestTrailAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		fails  int
	}{
		{"server error", http.StatusServiceUnavailable, "overloaded\n", 3},
		{"bad gateway", http.StatusBadGateway, "", 1},
		{"unknown origin", http.StatusForbidden, "unknown origin\n", 2},
		{"proof refused", http.StatusUnprocessableEntity, "proof does not hold\n", 1},
		{"answer not an index", http.StatusOK, "idx 4\n", 2},
		{"negative index", http.StatusOK, "index -1\n", 1},
		{"index without its newline", http.StatusOK, "index 4", 1},
		{"409 without a size", http.StatusConflict, "many\n", 1},
		{"409 larger than the log", http.StatusConflict, "1000000\n", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &trailtest.Trail{Script: func(n int) (int, string, bool) {
				return tc.status, tc.body, n < tc.fails
			}}
			l := newTrailLog(t, tr, Options{Durability: Always})
			w := l.open(t)
			waitFor(t, "the trail to accept the checkpoint", func() bool { return w.Stats().TrailBehind == 0 })
			st := w.Stats()
			if st.TrailFailures != uint64(tc.fails) || st.TrailAccepted != 1 || st.TrailIndex != 0 {
				t.Fatalf("stats %+v, want %d failures, then index 0 accepted", st, tc.fails)
			}
			reqs := tr.Requests()
			if len(reqs) != tc.fails+1 {
				t.Fatalf("%d requests, want %d", len(reqs), tc.fails+1)
			}
			for i, r := range reqs {
				if !bytes.Equal(r.Note, reqs[0].Note) || r.Old != 0 {
					t.Fatalf("request %d is not the same checkpoint sent again: %+v", i, r)
				}
				if i > 0 {
					if gap, least := r.At.Sub(reqs[i-1].At), forwardBackoffMin<<(i-1); gap < least {
						t.Fatalf("request %d came %v after the failure before it, before the backoff of %v", i, gap, least)
					}
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(l.logs.String(), "the trail did not accept the checkpoint"); n != tc.fails {
				t.Fatalf("%d log lines of failures, want %d:\n%s", n, tc.fails, l.logs)
			}
		})
	}
}

// TestTrailKeepsOnlyLatest holds the trail's first request while the log
// signs checkpoint after checkpoint: none of them queues (the forwarder
// keeps the latest alone), and once the trail answers, the next request
// carries the latest checkpoint, proved from the first.
func TestTrailKeepsOnlyLatest(t *testing.T) {
	tr := &trailtest.Trail{Block: make(chan struct{})}
	l := newTrailLog(t, tr, Options{Durability: Always, CheckpointEvery: 10})
	l.opts.Trails[0].Timeout = time.Hour // the first request stays in flight
	w := l.open(t)
	<-tr.Entered()
	before := w.Stats().Checkpoints
	// Ten checkpoints, the last of everything, after which none is due
	// (Always durability has no timer): the latest stays the latest.
	for range 10 {
		appendN(t, w, 20)
		if err := w.Checkpoint(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := w.Stats().Checkpoints - before; n < 10 {
		t.Fatalf("%d checkpoints signed while the trail was held, want at least 10", n)
	}
	f := w.trails[0]
	f.mu.Lock()
	latest, msg := f.latest, f.msg
	f.mu.Unlock()
	w.fwdMu.Lock()
	last := w.lastCkpt
	w.fwdMu.Unlock()
	if latest != last || !bytes.Contains(msg, []byte(last.Text())) {
		t.Fatalf("the forwarder holds the checkpoint of size %d, the log's latest is %d", latest.N, last.N)
	}
	if got := len(tr.Requests()); got != 0 || tr.Stuck() != 1 {
		t.Fatalf("%d requests answered and %d stuck while the trail is held, want 0 and 1", got, tr.Stuck())
	}
	tr.Release()
	waitFor(t, "the trail to catch up", func() bool { return w.Stats().TrailBehind == 0 })
	reqs := tr.Requests()
	if len(reqs) != 2 || reqs[0].Old != 0 || reqs[1].Old != reqs[0].Size || reqs[1].Size != last.N || reqs[1].Status != http.StatusOK {
		t.Fatalf("requests %+v, want the first checkpoint, then the latest (size %d) proved from it", reqs, last.N)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestTrailNeverBlocksAppend appends records and signs checkpoints while
// every request to the trail is held by the trail and never answered, and
// closes the log while they still are: Close gives the trail its timeout
// and returns.
func TestTrailNeverBlocksAppend(t *testing.T) {
	for _, d := range []Durability{Always, Batch} {
		t.Run(d.String(), func(t *testing.T) {
			tr := &trailtest.Trail{Block: make(chan struct{})}
			timeout := 200 * time.Millisecond
			l := newTrailLog(t, tr, Options{Durability: d, CheckpointEvery: 100})
			l.opts.Trails[0].Timeout = timeout
			w := l.open(t)
			<-tr.Entered()
			before := w.Stats().Checkpoints
			appendN(t, w, 5000)
			if err := w.Sync(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "checkpoints while the trail is stuck", func() bool { return w.Stats().Checkpoints > before })
			start := time.Now()
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			st := w.Stats()
			if n := len(tr.Requests()); n != 0 || tr.Stuck() == 0 {
				t.Fatalf("%d requests answered, %d stuck: the trail was not held throughout", n, tr.Stuck())
			}
			if st.TrailAccepted != 0 || st.TrailBehind != 1 {
				t.Fatalf("stats %+v", st)
			}
			if took < timeout {
				t.Fatalf("Close returned after %v, before the trail's timeout of %v", took, timeout)
			}
		})
	}
}

// TestAddTrails adds a trail to an open log: the trail receives the latest
// checkpoint at once and the later ones; after Close, AddTrails fails with
// ErrClosed. A URL that is not http or https is refused, by AddTrails (which
// then adds none of its trails) and by Open.
func TestAddTrails(t *testing.T) {
	tr := &trailtest.Trail{}
	l := newTrailLog(t, tr, Options{Durability: Always, CheckpointEvery: 10})
	url := l.opts.Trails[0].URL
	l.opts.Trails = []Trail{}
	w := l.open(t)
	appendN(t, w, 25)
	if err := w.AddTrails(Trail{URL: url}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the trail to catch up", func() bool { return w.Stats().TrailBehind == 0 && w.Stats().TrailAccepted > 0 })
	appendN(t, w, 25)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := tr.Size(w.Origin()), w.lastCkpt.N; got != want {
		t.Fatalf("the trail holds size %d, the log's last checkpoint %d", got, want)
	}
	if err := w.AddTrails(Trail{URL: url}); !errors.Is(err, ErrClosed) {
		t.Fatalf("AddTrails after Close: %v, want ErrClosed", err)
	}
	for _, bad := range []string{"", "127.0.0.1:8080", "ftp://trail.example", "http://", "http://[::1"} {
		w := l.open(t)
		if err := w.AddTrails(Trail{URL: url}, Trail{URL: bad}); !errors.Is(err, provider.ErrInvalidConfig) {
			t.Errorf("AddTrails(good, %q): %v, want ErrInvalidConfig", bad, err)
		}
		if len(w.trails) != 0 {
			t.Errorf("AddTrails(good, %q) added %d trails, want none", bad, len(w.trails))
		}
		w.Close()
		o := l.opts
		o.Trails = []Trail{{URL: bad}}
		if w, _, err := Open(l.path, o); !errors.Is(err, provider.ErrInvalidConfig) {
			if err == nil {
				w.Close()
			}
			t.Errorf("Open with trail %q: %v, want ErrInvalidConfig", bad, err)
		}
	}
}
