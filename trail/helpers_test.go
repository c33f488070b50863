package trail

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/hmac"
	_ "github.com/tinywindow/tinywindow/providers/pem"
	"github.com/tinywindow/tinywindow/trail/internal/s3test"
)

const trailOrigin = "trail.test/firm"

// ed25519Key opens a new Ed25519 key through the pem: backend.
func ed25519Key(t testing.TB) provider.Key {
	t.Helper()
	return testenv.MustOpen(t, "pem:key-source=file:"+testenv.Ed25519KeyFile(t, t.TempDir(), "key.pem"))
}

// adapterLog is a real audit log, as an execution adapter writes it, whose
// checkpoints a test sends to the trail.
type adapterLog struct {
	t      testing.TB
	origin string
	key    provider.Key
	path   string
	w      *audit.Writer
	seq    int
	size   int64 // the tree size of the last checkpoint
}

func newAdapterLog(t testing.TB, origin string, key provider.Key) *adapterLog {
	t.Helper()
	l := &adapterLog{t: t, origin: origin, key: key, path: filepath.Join(t.TempDir(), "orders.log")}
	w, _, err := audit.Open(l.path, audit.Options{Signer: key, Origin: origin, CheckpointInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	l.w = w
	t.Cleanup(func() { w.Close() })
	return l
}

// checkpoint appends n orders (tagged, so that two logs of one key differ)
// and returns the signed checkpoint that covers them.
func (l *adapterLog) checkpoint(n int, tag string) []byte {
	l.t.Helper()
	for range n {
		l.seq++
		if err := l.w.Append(audit.TypeOrder, int64(l.seq), fmt.Appendf(nil, `{"id":%d,"tag":%q}`, l.seq, tag)); err != nil {
			l.t.Fatal(err)
		}
	}
	if err := l.w.Checkpoint(context.Background()); err != nil {
		l.t.Fatal(err)
	}
	notes, err := audit.ReadCheckpoints(l.path + ".checkpoints")
	if err != nil {
		l.t.Fatal(err)
	}
	msg := notes[len(notes)-1]
	l.size = tree(l.t, msg).N
	return msg
}

// tree returns the tree of a signed checkpoint, not verified.
func tree(t testing.TB, msg []byte) tlog.Tree {
	t.Helper()
	text, _, _ := strings.Cut(string(msg), "\n\n")
	c, err := audit.ParseCheckpoint(text + "\n")
	if err != nil {
		t.Fatal(err)
	}
	return c.Tree
}

// proof returns the consistency proof from size old to the tree of the
// log's latest checkpoint, read from the log exported as tlog-tiles.
func (l *adapterLog) proof(old int64) []tlog.Hash {
	l.t.Helper()
	dir := filepath.Join(filepath.Dir(l.path), "export")
	to, err := audit.OpenDirTarget(dir)
	if err != nil {
		l.t.Fatal(err)
	}
	defer to.Close()
	if _, err := audit.Export(context.Background(), l.path, to, audit.ExportOptions{}); err != nil {
		l.t.Fatal(err)
	}
	cp, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		l.t.Fatal(err)
	}
	tr := tree(l.t, cp)
	p, err := tlog.ProveTree(tr.N, old, tlog.TileHashReader(tr, dirTiles(dir)))
	if err != nil {
		l.t.Fatal(err)
	}
	return p
}

// dirTiles reads the hash tiles of a tlog-tiles directory.
type dirTiles string

func (d dirTiles) Height() int { return 8 }
func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tile := range tiles {
		b, err := os.ReadFile(filepath.Join(string(d), c2spPath(tile)))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}
func (d dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

// c2spPath is the C2SP tlog-tiles path of a tile (L -1: an entry bundle).
func c2spPath(tile tlog.Tile) string {
	p := tile.Path() // tile/8/L/N[.p/W], x/mod's layout with the height
	p = strings.Replace(p, "tile/8/", "tile/", 1)
	return strings.Replace(p, "tile/data/", "tile/entries/", 1)
}

// body formats an add-checkpoint request.
func body(old int64, proof []tlog.Hash, msg []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", old)
	for _, h := range proof {
		b.WriteString(h.String() + "\n")
	}
	b.WriteString("\n")
	b.Write(msg)
	return b.Bytes()
}

// testTrail is a trail on POSIX storage served over HTTP.
type testTrail struct {
	t     testing.TB
	dir   string
	key   provider.Key
	st    *Storage
	srv   *Server
	http  *httptest.Server
	vkey  string
	close func()
}

func startTrail(t testing.TB, dir string, key provider.Key, logs ...LogKey) *testTrail {
	t.Helper()
	return startTrailConfig(t, dir, key, Config{Logs: logs})
}

// startTrailConfig starts a trail with cfg, to which it adds the storage
// (a storage spec, or a directory for posix: storage), key, the origin
// trailOrigin and, if cfg has none, the storage's shortest checkpoint
// interval (100ms on POSIX).
func startTrailConfig(t testing.TB, dir string, key provider.Key, cfg Config) *testTrail {
	t.Helper()
	ctx := context.Background()
	spec := dir
	if !strings.HasPrefix(spec, "aws:") {
		spec = "posix:" + dir
	}
	st, err := OpenStorage(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Storage, cfg.Signer, cfg.Origin = st, key, trailOrigin
	if cfg.CheckpointInterval == 0 {
		cfg.CheckpointInterval = max(100*time.Millisecond, st.MinCheckpointInterval)
	}
	srv, err := New(ctx, cfg)
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	vkey, err := audit.CheckpointVerifierKey(trailOrigin, key)
	if err != nil {
		t.Fatal(err)
	}
	tt := &testTrail{t: t, dir: dir, key: key, st: st, srv: srv, http: httptest.NewServer(srv.Handler()), vkey: vkey}
	var closed bool
	tt.close = func() {
		if closed {
			return
		}
		closed = true
		tt.http.Close()
		if err := srv.Close(ctx); err != nil {
			t.Error(err)
		}
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(tt.close)
	return tt
}

// post sends an add-checkpoint request and returns the status and body.
func (tt *testTrail) post(b []byte) (int, string) {
	tt.t.Helper()
	resp, err := http.Post(tt.http.URL+"/add-checkpoint", "text/plain", bytes.NewReader(b))
	if err != nil {
		tt.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// add sends a checkpoint the trail must accept and returns its index.
func (tt *testTrail) add(old int64, proof []tlog.Hash, msg []byte) uint64 {
	tt.t.Helper()
	code, out := tt.post(body(old, proof, msg))
	if code != http.StatusOK {
		tt.t.Fatalf("add-checkpoint: %d %s", code, out)
	}
	i, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(out, "index "), "\n"), 10, 64)
	if err != nil {
		tt.t.Fatalf("add-checkpoint answered %q", out)
	}
	return i
}

func (tt *testTrail) get(path string) (int, []byte) {
	tt.t.Helper()
	resp, err := http.Get(tt.http.URL + path)
	if err != nil {
		tt.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// published waits for a trail checkpoint of at least size entries, which
// it verifies with the trail's verifier key, and returns its tree.
func (tt *testTrail) published(want int64) tlog.Tree {
	tt.t.Helper()
	return publishedAt(tt.t, tt.http.URL, tt.vkey, want)
}

// publishedAt waits (up to a minute) for the trail at u to publish a
// checkpoint of at least want entries, verifies it with vkey, and returns
// its tree.
func publishedAt(t testing.TB, u, vkey string, want int64) tlog.Tree {
	t.Helper()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the trail at %s published no checkpoint of %d entries within a minute", u, want)
		}
		resp, err := http.Get(u + "/checkpoint")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			continue
		}
		n, err := note.Open(b, note.VerifierList(v))
		if err != nil {
			t.Fatalf("trail checkpoint: %v", err)
		}
		lines := strings.Split(n.Text, "\n")
		if len(lines) < 4 || lines[0] != trailOrigin {
			t.Fatalf("trail checkpoint %q", n.Text)
		}
		size, err1 := strconv.ParseInt(lines[1], 10, 64)
		h, err2 := tlog.ParseHash(lines[2])
		if err1 != nil || err2 != nil {
			t.Fatalf("trail checkpoint %q", n.Text)
		}
		if size >= want {
			return tlog.Tree{N: size, Hash: h}
		}
	}
}

// trailStorage makes a new, empty storage for a test's trail: its spec, or
// a directory for posix: storage.
type trailStorage struct {
	name string
	make func(t *testing.T) string
}

// trailStorages are the storages the trail's main tests run on: POSIX,
// and Tessera's AWS driver on MariaDB and versitygw (skipped without
// them, a failure under CI).
var trailStorages = []trailStorage{
	{"posix", func(t *testing.T) string { return t.TempDir() }},
	{"aws", awsStorageSpec},
}

// awsStorageSpec returns the spec of aws: storage on a database and a
// bucket of the test's own.
func awsStorageSpec(t *testing.T) string {
	t.Helper()
	endpoint := s3test.Endpoint(t)
	dsn := testDatabase(t)
	bucket := s3test.Bucket(t, s3test.Client(t, endpoint))
	env := "TW_TEST_TRAIL_DSN_" + strings.ToUpper(strings.ReplaceAll(bucket, "-", "_"))
	t.Setenv(env, dsn.FormatDSN())
	return fmt.Sprintf("aws:bucket=%s;endpoint=%s;region=%s?dsn-source=env:%s", bucket, endpoint, s3test.Region, env)
}

// onEachStorage runs f as a subtest on each of trailStorages.
func onEachStorage(t *testing.T, f func(t *testing.T, storage string)) {
	for _, s := range trailStorages {
		t.Run(s.name, func(t *testing.T) { f(t, s.make(t)) })
	}
}
