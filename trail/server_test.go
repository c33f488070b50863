package trail

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/provider"
)

// httpTiles reads a trail's tiles over HTTP for x/mod's tlog.
type httpTiles struct {
	t   testing.TB
	url string
}

func (c httpTiles) Height() int { return 8 }
func (c httpTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tile := range tiles {
		b, err := c.get(c2spPath(tile))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}
func (c httpTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func (c httpTiles) get(p string) ([]byte, error) {
	resp, err := http.Get(c.url + "/" + p)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", p, resp.Status)
	}
	return b.Bytes(), nil
}

// entry returns entry i of tree from its entry bundle.
func (c httpTiles) entry(tree tlog.Tree, i int64) ([]byte, error) {
	w := min(256, tree.N-i/256*256)
	b, err := c.get(c2spPath(tlog.Tile{H: 8, L: -1, N: i / 256, W: int(w)}))
	if err != nil {
		return nil, err
	}
	for j := int64(0); len(b) >= 2; j++ {
		l := int(binary.BigEndian.Uint16(b))
		if 2+l > len(b) {
			break
		}
		if j == i%256 {
			return b[2 : 2+l], nil
		}
		b = b[2+l:]
	}
	return nil, fmt.Errorf("entry %d: bundle cut short", i)
}

// checkWithTlog proves, with x/mod's tlog alone, that every entry of tree
// is the checkpoint want[i] and is in tree.
func checkWithTlog(c httpTiles, tree tlog.Tree, want map[uint64][]byte) error {
	thr := tlog.TileHashReader(tree, c)
	for i, msg := range want {
		e, err := c.entry(tree, int64(i))
		if err != nil {
			return err
		}
		if !bytes.Equal(e, msg) {
			return fmt.Errorf("entry %d is not the checkpoint sent", i)
		}
		p, err := tlog.ProveRecord(tree.N, int64(i), thr)
		if err != nil {
			return err
		}
		if err := tlog.CheckRecord(p, tree.N, tree.Hash, int64(i), tlog.RecordHash(e)); err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
	}
	return nil
}

// checkWithTesseraClient proves, with tessera/client and the trail's
// verifier key, that every entry is the checkpoint sent and in the latest
// trail checkpoint, and that the latest is consistent with old.
func checkWithTesseraClient(ctx context.Context, tt *testTrail, want map[uint64][]byte, old tlog.Tree) error {
	u, _ := url.Parse(tt.http.URL)
	f, err := client.NewHTTPFetcher(u, nil)
	if err != nil {
		return err
	}
	v, err := note.NewVerifier(tt.vkey)
	if err != nil {
		return err
	}
	cp, _, _, err := client.FetchCheckpoint(ctx, f.ReadCheckpoint, v, trailOrigin)
	if err != nil {
		return err
	}
	pb, err := client.NewProofBuilder(ctx, cp.Size, f.ReadTile)
	if err != nil {
		return err
	}
	for i, msg := range want {
		b, err := client.GetEntryBundle(ctx, f.ReadEntryBundle, i/256, cp.Size)
		if err != nil {
			return err
		}
		if !bytes.Equal(b.Entries[i%256], msg) {
			return fmt.Errorf("entry %d is not the checkpoint sent", i)
		}
		p, err := pb.InclusionProof(ctx, i)
		if err != nil {
			return err
		}
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, i, cp.Size, rfc6962.DefaultHasher.HashLeaf(msg), p, cp.Hash); err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
	}
	p, err := pb.ConsistencyProof(ctx, uint64(old.N), cp.Size)
	if err != nil {
		return err
	}
	return proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(old.N), cp.Size, p, old.Hash[:], cp.Hash)
}

// TestTrailVerifiesWithStandardClients: two adapters' real checkpoints,
// each sent with its consistency proof, are entries of the trail, and
// tessera/client and, independently, x/mod's tlog verify from the served
// tiles and the trail's verifier key alone that each is in the trail and
// that the trail's trees are consistent. /origin/O gives the last one
// accepted for O, with its index.
func TestTrailVerifiesWithStandardClients(t *testing.T) {
	onEachStorage(t, func(t *testing.T, storage string) {
		ctx := context.Background()
		ka, kb := ed25519Key(t), ed25519Key(t)
		a, b := newAdapterLog(t, "adapter.test/a", ka), newAdapterLog(t, "adapter.test/b", kb)
		tt := startTrail(t, storage, ed25519Key(t),
			LogKey{Origin: a.origin, Keys: []provider.Verifier{ka}}, LogKey{Origin: b.origin, Keys: []provider.Verifier{kb}})

		want := map[uint64][]byte{}
		var first tlog.Tree
		for round := range 4 {
			for _, l := range []*adapterLog{a, b} {
				old := l.size
				msg := l.checkpoint(100*round+3, "x")
				var p []tlog.Hash
				if old > 0 {
					p = l.proof(old)
				}
				want[tt.add(old, p, msg)] = msg
			}
			if round == 0 {
				first = tt.published(2)
			}
		}
		if len(want) != 8 {
			t.Fatalf("%d distinct indexes for 8 checkpoints", len(want))
		}
		last := tt.published(8)
		if err := checkWithTlog(httpTiles{t, tt.http.URL}, last, want); err != nil {
			t.Errorf("x/mod tlog: %v", err)
		}
		if p, err := tlog.ProveTree(last.N, first.N, tlog.TileHashReader(last, httpTiles{t, tt.http.URL})); err != nil {
			t.Error(err)
		} else if err := tlog.CheckTree(p, last.N, last.Hash, first.N, first.Hash); err != nil {
			t.Errorf("x/mod tlog: trail trees %d and %d: %v", first.N, last.N, err)
		}
		if err := checkWithTesseraClient(ctx, tt, want, first); err != nil {
			t.Errorf("tessera/client: %v", err)
		}
		code, got := tt.get("/origin/" + url.PathEscape(b.origin))
		var lastB uint64
		for i, msg := range want {
			if strings.HasPrefix(string(msg), b.origin+"\n") && i >= lastB {
				lastB = i
			}
		}
		if w := fmt.Sprintf("index %d\n%s", lastB, want[lastB]); code != http.StatusOK || string(got) != w {
			t.Errorf("GET /origin: %d %q, want %q", code, got, w)
		}
		if code, _ := tt.get("/origin/" + url.PathEscape("adapter.test/none")); code != http.StatusNotFound {
			t.Errorf("GET /origin of an unregistered origin: %d, want 404", code)
		}
	})
}

// TestTrailRefuses: each bad request of the issue is refused with the
// protocol's status and appends nothing; a fork and a shrink leave
// evidence that GET /evidence returns.
func TestTrailRefuses(t *testing.T) {
	onEachStorage(t, func(t *testing.T, storage string) {
		ka := ed25519Key(t)
		a := newAdapterLog(t, "adapter.test/a", ka)
		// fork is a second log of a's origin and key with other orders.
		fork := newAdapterLog(t, a.origin, ka)
		other := newAdapterLog(t, "adapter.test/unregistered", ed25519Key(t))
		impostor := newAdapterLog(t, a.origin, ed25519Key(t))
		tt := startTrail(t, storage, ed25519Key(t), LogKey{Origin: a.origin, Keys: []provider.Verifier{ka}})

		first := a.checkpoint(5, "a")
		s1 := a.size
		tt.add(0, nil, first)
		second := a.checkpoint(20, "a")
		s2 := a.size
		secondProof := a.proof(s1)
		index := tt.add(s1, secondProof, second)
		// The fork has as many records as a, but other ones.
		fork.checkpoint(5, "fork")
		forked := fork.checkpoint(20, "fork")
		if fork.size != s2 {
			t.Fatalf("fork of size %d, a of size %d", fork.size, s2)
		}
		forkedLonger := fork.checkpoint(10, "fork")
		forkProof := fork.proof(s2)
		badSig := flipSignature(t, second)
		third := a.checkpoint(7, "a")
		p2 := a.proof(s2)
		// A proof that holds, but from another size.
		p1 := a.proof(s1)
		conflict := fmt.Sprintf("%d\n", s2)

		for _, tc := range []struct {
			name     string
			body     []byte
			code     int
			answer   string // the start of the answer
			evidence bool
		}{
			{"unregistered origin", body(0, nil, other.checkpoint(3, "o")), http.StatusForbidden, "", false},
			{"signed by another key", body(s2, nil, impostor.checkpoint(30, "i")), http.StatusForbidden, "", false},
			{"bad signature", body(s1, secondProof, badSig), http.StatusForbidden, "", false},
			{"malformed body", []byte("old five\n\n"), http.StatusBadRequest, "", false},
			{"malformed note", body(s2, nil, []byte("adapter.test/a\nnot a note")), http.StatusBadRequest, "", false},
			{"replayed old request", body(0, nil, first), http.StatusConflict, conflict, false},
			{"old size not the accepted one", body(s1, p1, third), http.StatusConflict, conflict, false},
			{"size going back", body(s2, nil, first), http.StatusUnprocessableEntity, "", true},
			{"proof that does not match", body(s2, p1, third), http.StatusUnprocessableEntity, "", true},
			{"fork", body(s1, nil, forked), http.StatusUnprocessableEntity, "", true},
			{"fork, longer, with a proof from the accepted size", body(s2, forkProof, forkedLonger), http.StatusUnprocessableEntity, "", true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, out := tt.post(tc.body)
				if code != tc.code || !strings.HasPrefix(out, tc.answer) {
					t.Fatalf("%d %q, want %d %q", code, out, tc.code, tc.answer)
				}
				if code == http.StatusConflict {
					resp, _ := http.Post(tt.http.URL+"/add-checkpoint", "", bytes.NewReader(tc.body))
					resp.Body.Close()
					if ct := resp.Header.Get("Content-Type"); ct != "text/x.tlog.size" {
						t.Errorf("409 with Content-Type %q", ct)
					}
				}
				_, _, refused, _ := ParseAddCheckpoint(tc.body)
				code, b := tt.get("/evidence/" + url.PathEscape(a.origin))
				var ev []Evidence
				if err := json.Unmarshal(b, &ev); code != http.StatusOK || err != nil {
					t.Fatalf("GET /evidence: %d %q (%v)", code, b, err)
				}
				found := false
				for _, e := range ev {
					if bytes.Equal(e.Refused, refused) {
						found = true
						if !bytes.Equal(e.Accepted, second) || e.Origin != a.origin || e.Reason == "" {
							t.Errorf("evidence %+v does not pair the refused note with the accepted one", e)
						}
					}
				}
				if found != tc.evidence {
					t.Errorf("evidence of the refused note kept: %v, want %v", found, tc.evidence)
				}
			})
		}
		// Nothing refused was appended; the accepted checkpoint is unchanged
		// and the next one still goes in.
		code, got := tt.get("/origin/" + url.PathEscape(a.origin))
		if code != http.StatusOK || string(got) != fmt.Sprintf("index %d\n%s", index, second) {
			t.Errorf("after the refusals, /origin says %d %q", code, got)
		}
		if i := tt.add(s2, p2, third); i != index+1 {
			t.Errorf("the next checkpoint has index %d, want %d: something refused was appended", i, index+1)
		}
	})
}

// flipSignature returns msg with a bit of its last signature changed.
func flipSignature(t *testing.T, msg []byte) []byte {
	t.Helper()
	i := bytes.LastIndex(msg, []byte(" "))
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(msg[i+1:])))
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)-1] ^= 1
	return append(bytes.Clone(msg[:i+1]), base64.StdEncoding.EncodeToString(sig)+"\n"...)
}

// TestTrailResendsAddNothing: a flood of concurrent re-sends of the
// accepted checkpoint, with the request that was accepted and with the
// old size the trail now knows, answers 200 with its index every time and
// appends nothing.
func TestTrailResendsAddNothing(t *testing.T) {
	onEachStorage(t, func(t *testing.T, storage string) {
		ka := ed25519Key(t)
		a := newAdapterLog(t, "adapter.test/a", ka)
		tt := startTrail(t, storage, ed25519Key(t), LogKey{Origin: a.origin, Keys: []provider.Verifier{ka}})
		msg := a.checkpoint(4, "a")
		s1 := a.size
		index := tt.add(0, nil, msg)
		msg2 := a.checkpoint(4, "a")
		p := a.proof(s1)
		index2 := tt.add(s1, p, msg2)
		var wg sync.WaitGroup
		for i := range 200 {
			wg.Go(func() {
				b := body(s1, p, msg2)
				if i%2 == 1 {
					b = body(a.size, nil, msg2)
				}
				code, out := tt.post(b)
				if code != http.StatusOK || out != fmt.Sprintf("index %d\n", index2) {
					t.Errorf("re-send: %d %q, want index %d", code, out, index2)
				}
			})
		}
		wg.Wait()
		tt.published(2)
		if n, err := tt.srv.Reader().NextIndex(context.Background()); err != nil || n != index+2 {
			t.Errorf("the trail's next index is %d (%v) after the re-sends, want %d", n, err, index+2)
		}
	})
}

// countingReader is an endless body that counts the bytes read from it.
type countingReader struct{ n int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	clear(p)
	r.n += int64(len(p))
	return len(p), nil
}

// TestTrailBodyTooLarge: a 100 MB body is refused with 413 having read
// little more than MaxAddCheckpointSize of it, whether it states its
// length or not.
func TestTrailBodyTooLarge(t *testing.T) {
	ka := ed25519Key(t)
	tt := startTrail(t, t.TempDir(), ed25519Key(t), LogKey{Origin: "adapter.test/a", Keys: []provider.Verifier{ka}})
	for _, stated := range []bool{true, false} {
		r := &countingReader{}
		req, _ := http.NewRequest(http.MethodPost, "/add-checkpoint", r)
		req.ContentLength = -1
		if stated {
			req.ContentLength = 100 << 20
		}
		rec := httptest.NewRecorder()
		tt.srv.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("length stated %v: %d, want 413", stated, rec.Code)
		}
		if r.n > 2*MaxAddCheckpointSize {
			t.Errorf("length stated %v: read %d bytes of the body", stated, r.n)
		}
	}
}

// TestTrailTileChangedInStorage: a byte changed in a tile or an entry
// bundle on disk makes the standard clients' checks fail.
func TestTrailTileChangedInStorage(t *testing.T) {
	ctx := context.Background()
	ka := ed25519Key(t)
	a := newAdapterLog(t, "adapter.test/a", ka)
	dir := t.TempDir()
	tt := startTrail(t, dir, ed25519Key(t), LogKey{Origin: a.origin, Keys: []provider.Verifier{ka}})
	want := map[uint64][]byte{}
	for range 3 {
		old := a.size
		msg := a.checkpoint(2, "a")
		var p []tlog.Hash
		if old > 0 {
			p = a.proof(old)
		}
		want[tt.add(old, p, msg)] = msg
	}
	tr := tt.published(3)
	c := httpTiles{t, tt.http.URL}
	if err := checkWithTlog(c, tr, want); err != nil {
		t.Fatalf("before the change: %v", err)
	}
	for _, file := range []string{"tile/0/000.p/3", "tile/entries/000.p/3"} {
		t.Run(file, func(t *testing.T) {
			p := filepath.Join(dir, file)
			orig, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			defer os.WriteFile(p, orig, 0o644)
			changed := bytes.Clone(orig)
			changed[len(changed)-1] ^= 1
			if err := os.WriteFile(p, changed, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := checkWithTlog(c, tr, want); err == nil {
				t.Error("x/mod tlog verified a changed file")
			}
			if err := checkWithTesseraClient(ctx, tt, want, tlog.Tree{}); err == nil {
				t.Error("tessera/client verified a changed file")
			}
		})
	}
}

// TestTrailRestartKeepsOriginState: a trail reopened on its directory
// knows each origin's accepted checkpoint: a re-send has the same index, a
// request from size 0 gets 409 with the accepted size, and the next
// checkpoint, proved from it, is the next entry.
func TestTrailRestartKeepsOriginState(t *testing.T) {
	ka, trailKey := ed25519Key(t), ed25519Key(t)
	a := newAdapterLog(t, "adapter.test/a", ka)
	dir := t.TempDir()
	logs := LogKey{Origin: a.origin, Keys: []provider.Verifier{ka}}
	tt := startTrail(t, dir, trailKey, logs)
	msg := a.checkpoint(6, "a")
	s1 := a.size
	index := tt.add(0, nil, msg)
	tt.close()
	// Close returned once a published trail checkpoint covered the entry.
	cp, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := note.NewVerifier(tt.vkey)
	if n, err := note.Open(cp, note.VerifierList(v)); err != nil || !strings.HasPrefix(n.Text, fmt.Sprintf("%s\n%d\n", trailOrigin, index+1)) {
		t.Errorf("after Close, the published trail checkpoint is %q (%v), want one of size %d", cp, err, index+1)
	}

	tt = startTrail(t, dir, trailKey, logs)
	if i := tt.add(0, nil, msg); i != index {
		t.Errorf("re-send after a restart: index %d, want %d", i, index)
	}
	next := a.checkpoint(3, "a")
	if code, out := tt.post(body(0, nil, next)); code != http.StatusConflict || out != fmt.Sprintf("%d\n", s1) {
		t.Errorf("from size 0 after a restart: %d %q, want 409 with %d", code, out, s1)
	}
	if i := tt.add(s1, a.proof(s1), next); i != index+1 {
		t.Errorf("next checkpoint after a restart: index %d, want %d", i, index+1)
	}
}

// TestNewRefusesConfig: a configuration the trail cannot run safely is
// refused with provider.ErrInvalidConfig.
func TestNewRefusesConfig(t *testing.T) {
	ctx := context.Background()
	st, err := OpenStorage(ctx, "posix:"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	trailKey, logKey := ed25519Key(t), ed25519Key(t)
	good := LogKey{Origin: "adapter.test/a", Keys: []provider.Verifier{logKey}}
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"no storage", Config{Signer: trailKey, Origin: trailOrigin, Logs: []LogKey{good}}},
		{"no signer", Config{Storage: st, Origin: trailOrigin, Logs: []LogKey{good}}},
		{"no origin", Config{Storage: st, Signer: trailKey, Logs: []LogKey{good}}},
		{"no logs", Config{Storage: st, Signer: trailKey, Origin: trailOrigin}},
		{"signer is a log's key", Config{Storage: st, Signer: logKey, Origin: trailOrigin, Logs: []LogKey{good}}},
		{"log registered twice", Config{Storage: st, Signer: trailKey, Origin: trailOrigin, Logs: []LogKey{good, good}}},
		{"log without key", Config{Storage: st, Signer: trailKey, Origin: trailOrigin, Logs: []LogKey{{Origin: "adapter.test/b"}}}},
		{"log with the trail's origin", Config{Storage: st, Signer: trailKey, Origin: trailOrigin, Logs: []LogKey{{Origin: trailOrigin, Keys: good.Keys}}}},
		{"interval under the storage's minimum", Config{Storage: st, Signer: trailKey, Origin: trailOrigin, Logs: []LogKey{good}, CheckpointInterval: st.MinCheckpointInterval / 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(ctx, tc.cfg)
			if err == nil {
				s.Close(ctx)
			}
			if !errors.Is(err, provider.ErrInvalidConfig) {
				t.Errorf("err %v, want ErrInvalidConfig", err)
			}
		})
	}
	if _, err := OpenStorage(ctx, "nfs:/x"); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("unknown storage scheme: %v", err)
	}
	if _, err := OpenStorage(ctx, "posix:"); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("posix without a directory: %v", err)
	}
}

// TestTrailServesOnlyTheLog: the handler serves the log's resources and
// nothing else of the storage directory: not Tessera's .state, not the
// trail's .trail, not a tile path in a form other than the canonical one.
func TestTrailServesOnlyTheLog(t *testing.T) {
	ka := ed25519Key(t)
	a := newAdapterLog(t, "adapter.test/a", ka)
	tt := startTrail(t, t.TempDir(), ed25519Key(t), LogKey{Origin: a.origin, Keys: []provider.Verifier{ka}})
	tt.add(0, nil, a.checkpoint(3, "a"))
	tt.published(1)
	if code, _ := tt.get("/tile/entries/000.p/1"); code != http.StatusOK {
		t.Fatalf("GET /tile/entries/000.p/1: %d", code)
	}
	for _, p := range []string{
		"/.state/treeState", "/.trail/origins", "/tile/../.state/treeState", "/tile/0/0", "/tile/0/000.p/0",
		"/tile/entries/0", "/tile/entries/x000/000", "/tile/64/000", "/", "/tile/",
	} {
		if code, b := tt.get(p); code == http.StatusOK {
			t.Errorf("GET %s: 200 %q", p, b)
		}
	}
}

// TestTrailAcceptsOtherCheckpointKeys: an adapter log whose checkpoints
// are signed by a key other than Ed25519 (here HMAC, under the audit log's
// own signature type), registered among two keys of its origin, has its
// checkpoints accepted; a key not registered has not.
func TestTrailAcceptsOtherCheckpointKeys(t *testing.T) {
	ctx := context.Background()
	k, err := provider.Open(ctx, "hmac:seed=7")
	if err != nil {
		t.Fatal(err)
	}
	other, err := provider.Open(ctx, "hmac:seed=8")
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := provider.Open(ctx, "hmac:seed=9")
	if err != nil {
		t.Fatal(err)
	}
	a := newAdapterLog(t, "adapter.test/hmac", k)
	b := newAdapterLog(t, "adapter.test/hmac", other)
	// Two keys registered for the origin (a rotation): either one's
	// checkpoints are accepted.
	tt := startTrail(t, t.TempDir(), ed25519Key(t), LogKey{Origin: a.origin, Keys: []provider.Verifier{rotated, k}})
	msg := a.checkpoint(3, "a")
	tt.add(0, nil, msg)
	if code, out := tt.post(body(a.size, nil, b.checkpoint(9, "b"))); code != http.StatusForbidden {
		t.Errorf("a checkpoint signed by another HMAC key: %d %q, want 403", code, out)
	}
}

// TestTrailLogsForks: a checkpoint refused because it forks the origin's
// log (422) is logged, naming the origin, for an operator to see at once;
// a refused unsigned one (403), which anyone can send, is not.
func TestTrailLogsForks(t *testing.T) {
	var logged bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	ka := ed25519Key(t)
	a := newAdapterLog(t, "adapter.test/logged", ka)
	tt := startTrail(t, t.TempDir(), ed25519Key(t), LogKey{Origin: a.origin, Keys: []provider.Verifier{ka}})
	tt.add(0, nil, a.checkpoint(10, "a"))
	if code, _ := tt.post(body(0, nil, flipSignature(t, a.checkpoint(5, "a")))); code != http.StatusForbidden {
		t.Fatalf("a bad signature: %d, want 403", code)
	}
	if logged.Len() != 0 {
		t.Fatalf("a 403 was logged: %s", logged.String())
	}
	fork := newAdapterLog(t, a.origin, ka)
	if code, out := tt.post(body(10, nil, fork.checkpoint(10, "fork"))); code != http.StatusUnprocessableEntity {
		t.Fatalf("a fork: %d %s, want 422", code, out)
	}
	if !strings.Contains(logged.String(), "level=WARN") || !strings.Contains(logged.String(), "adapter.test/logged") {
		t.Fatalf("the fork was not logged with its origin: %q", logged.String())
	}
}
