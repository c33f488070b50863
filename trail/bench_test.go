package trail

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/transparency-dev/tessera"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/provider"
)

// memKey is an Ed25519 provider.Key held in memory.
type memKey struct{ priv ed25519.PrivateKey }

func newMemKey() memKey {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	return memKey{priv}
}
func (k memKey) Info() provider.KeyInfo {
	return provider.KeyInfo{ID: provider.KeyIDFromPublic(k.priv.Public().(ed25519.PublicKey)), Algorithm: provider.Ed25519, Backend: "test"}
}
func (k memKey) Sign(_ context.Context, msg []byte) ([]byte, error) {
	return ed25519.Sign(k.priv, msg), nil
}
func (k memKey) Verify(_ context.Context, msg, sig []byte) error {
	if !ed25519.Verify(k.priv.Public().(ed25519.PublicKey), msg, sig) {
		return provider.ErrInvalidSignature
	}
	return nil
}
func (k memKey) Public() crypto.PublicKey { return k.priv.Public() }
func (k memKey) Close() error             { return nil }

// memLog is an adapter's log kept in memory: its tree's stored hashes and
// its checkpoint key, signing checkpoints as the audit log does.
type memLog struct {
	origin string
	signer note.Signer
	stored []tlog.Hash
	n      int64
}

func (l *memLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = l.stored[x]
	}
	return out, nil
}

// next appends k leaves and returns the add-checkpoint body of the new
// checkpoint, proved from size old.
func (l *memLog) next(k int, old int64) ([]byte, error) {
	for range k {
		hs, err := tlog.StoredHashes(l.n, []byte(l.origin+strconv.FormatInt(l.n, 10)), l)
		if err != nil {
			return nil, err
		}
		l.stored = append(l.stored, hs...)
		l.n++
	}
	root, err := tlog.TreeHash(l.n, l)
	if err != nil {
		return nil, err
	}
	c := audit.Checkpoint{Origin: l.origin, Tree: tlog.Tree{N: l.n, Hash: root}, Time: time.Now().UnixNano()}
	msg, err := note.Sign(&note.Note{Text: c.Text()}, l.signer)
	if err != nil {
		return nil, err
	}
	var p []tlog.Hash
	if old > 0 {
		if p, err = tlog.ProveTree(l.n, old, l); err != nil {
			return nil, err
		}
	}
	return body(old, p, msg), nil
}

// BenchmarkTrailAppend: adapters send checkpoints concurrently, each as
// soon as its previous one is accepted, over HTTP to a trail on POSIX
// storage. It reports the checkpoints accepted per second and the p50 and
// p99 of the time from a send to a published trail checkpoint that
// includes it (tessera.PublicationAwaiter polling the trail's checkpoint).
func BenchmarkTrailAppend(b *testing.B) {
	for _, adapters := range []int{100, 1000} {
		b.Run(fmt.Sprintf("adapters=%d", adapters), func(b *testing.B) {
			benchmarkTrailAppend(b, adapters)
		})
	}
}

func benchmarkTrailAppend(b *testing.B, adapters int) {
	ctx := context.Background()
	logs := make([]*memLog, adapters)
	keys := make([]LogKey, adapters)
	for i := range logs {
		k := newMemKey()
		origin := fmt.Sprintf("adapter.bench/%d", i)
		s, err := audit.NoteSigner(ctx, origin, k)
		if err != nil {
			b.Fatal(err)
		}
		logs[i] = &memLog{origin: origin, signer: s}
		keys[i] = LogKey{Origin: origin, Keys: []provider.Verifier{k}}
	}
	st, err := OpenStorage(ctx, "posix:"+b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	srv, err := New(ctx, Config{Storage: st, Signer: newMemKey(), Origin: trailOrigin, Logs: keys, CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close(ctx)
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: adapters + 10}}
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	awaiter := tessera.NewPublicationAwaiter(actx, srv.Reader().ReadCheckpoint, 10*time.Millisecond)

	var (
		mu  sync.Mutex
		lat []time.Duration
	)
	work := make(chan struct{}, b.N)
	for range b.N {
		work <- struct{}{}
	}
	close(work)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for _, l := range logs {
		wg.Go(func() {
			var old int64
			var mine []time.Duration
			for range work {
				req, err := l.next(1+int(l.n%7), old)
				if err != nil {
					b.Error(err)
					return
				}
				t0 := time.Now()
				resp, err := hc.Post(hs.URL+"/add-checkpoint", "text/plain", strings.NewReader(string(req)))
				if err != nil {
					b.Error(err)
					return
				}
				out, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				idx, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(string(out), "index "), "\n"), 10, 64)
				if resp.StatusCode != http.StatusOK || err != nil {
					b.Errorf("%s: %d %q", l.origin, resp.StatusCode, out)
					return
				}
				if _, _, err := awaiter.Await(ctx, func() (tessera.Index, error) { return tessera.Index{Index: idx}, nil }); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
				old = l.n
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "checkpoints/s")
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-ms")
}
