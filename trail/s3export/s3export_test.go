package s3export

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/pem"
	"github.com/tinywindow/tinywindow/trail/internal/s3test"
)

const origin = "tinywindow.test/s3export"

// ed25519Key opens a new Ed25519 checkpoint key through the pem: backend.
func ed25519Key(t *testing.T) provider.Key {
	t.Helper()
	return testenv.MustOpen(t, "pem:key-source=file:"+testenv.Ed25519KeyFile(t, t.TempDir(), "checkpoint-key.pem"))
}

// appendOrders appends n orders to the log at path, numbered from first;
// closing the log writes its checkpoint.
func appendOrders(t *testing.T, k provider.Key, path string, first, n int) {
	t.Helper()
	w, _, err := audit.Open(path, audit.Options{Signer: k, Origin: origin})
	if err != nil {
		t.Fatal(err)
	}
	for i := first; i < first+n; i++ {
		if err := w.Append(audit.TypeOrder, int64(i), fmt.Appendf(nil, `{"id":%d}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// openTarget opens the target of prefix in bucket at endpoint.
func openTarget(t *testing.T, endpoint, bucket, prefix string) *Target {
	t.Helper()
	to, err := Open(context.Background(), fmt.Sprintf("s3://%s/%s?endpoint=%s&region=%s", bucket, prefix, endpoint, s3test.Region))
	if err != nil {
		t.Fatal(err)
	}
	return to
}

// tree is a verified checkpoint's tree.
type tree struct {
	size uint64
	root []byte
}

// TestExportVerifies exports a growing audit log to versitygw three times
// and checks the bucket with the checkpoint's verifier key alone, with
// tessera/client and, independently, x/mod's tlog: each checkpoint the
// export held verifies, records are in the tree of each, the trees of any
// two are consistent, and an entry is the log's record. A re-run with
// nothing new writes nothing; one after new orders writes only what is
// new.
func TestExportVerifies(t *testing.T) {
	ctx := context.Background()
	endpoint := s3test.Endpoint(t)
	c := s3test.Client(t, endpoint)
	bucket := s3test.Bucket(t, c)
	to := openTarget(t, endpoint, bucket, "logs/a")
	k := ed25519Key(t)
	vkey, err := audit.CheckpointVerifierKey(origin, k)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "orders.log")

	var trees []tree
	for i, n := range []int{300, 1, 2000} {
		appendOrders(t, k, path, i*100_000, n)
		before := s3test.Objects(t, c, bucket, "logs/a/")
		rep, err := audit.Export(ctx, path, to, audit.ExportOptions{})
		if err != nil {
			t.Fatalf("export %d: %v", i+1, err)
		}
		var prev int64
		if len(trees) > 0 {
			prev = int64(trees[len(trees)-1].size)
		}
		if rep.Previous != prev || rep.Written == 0 {
			t.Errorf("export %d: previous %d, written %d; want previous %d and new files", i+1, rep.Previous, rep.Written, prev)
		}
		// Only what is new was written: new objects, and the checkpoint
		// replaced.
		var written []string
		for key, b := range s3test.Objects(t, c, bucket, "logs/a/") {
			if old, ok := before[key]; !ok || !bytes.Equal(old, b) {
				written = append(written, key)
			}
		}
		for _, key := range written {
			if _, ok := before[key]; ok && key != "logs/a/checkpoint" {
				t.Errorf("export %d changed %s, which the export held before", i+1, key)
			}
		}
		if len(written) != rep.Written {
			t.Errorf("export %d: %d objects new or changed, the report says %d written", i+1, len(written), rep.Written)
		}
		again, err := audit.Export(ctx, path, to, audit.ExportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if again.Written != 0 || again.Bytes != 0 || again.Previous != rep.Size {
			t.Errorf("export %d again: %+v, want nothing written", i+1, again)
		}
		raw, err := to.Get(ctx, "checkpoint")
		if err != nil {
			t.Fatal(err)
		}
		cp, _, _, err := client.FetchCheckpoint(ctx, func(context.Context) ([]byte, error) { return raw, nil }, verifier, origin)
		if err != nil {
			t.Fatalf("export %d: %v", i+1, err)
		}
		trees = append(trees, tree{cp.Size, cp.Hash})
	}
	checkTessera(t, to, path, trees)
	checkTlog(t, to, trees)
}

// checkTessera checks the export with tessera/client.
func checkTessera(t *testing.T, to *Target, path string, trees []tree) {
	ctx := context.Background()
	readTile := func(ctx context.Context, l, i uint64, p uint8) ([]byte, error) {
		return to.Get(ctx, layout.TilePath(l, i, p))
	}
	readBundle := func(ctx context.Context, i uint64, p uint8) ([]byte, error) {
		return to.Get(ctx, layout.EntriesPath(i, p))
	}
	last := trees[len(trees)-1]
	for _, tr := range trees {
		pb, err := client.NewProofBuilder(ctx, tr.size, readTile)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range []uint64{0, 1, 255, 256, tr.size / 2, tr.size - 1} {
			if i >= tr.size {
				continue
			}
			b, err := client.GetEntryBundle(ctx, readBundle, i/256, tr.size)
			if err != nil {
				t.Fatalf("tree %d, bundle of entry %d: %v", tr.size, i, err)
			}
			entry := b.Entries[i%256]
			p, err := pb.InclusionProof(ctx, i)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, i, tr.size, rfc6962.DefaultHasher.HashLeaf(entry), p, tr.root); err != nil {
				t.Errorf("tessera/client: entry %d in tree %d: %v", i, tr.size, err)
			}
			if tr.size == last.size {
				pr, err := audit.Prove(path, i+1)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(pr.Record, entry) {
					t.Errorf("entry %d is not record %d of the log", i, i+1)
				}
			}
		}
		for _, old := range trees {
			if old.size > tr.size {
				continue
			}
			p, err := pb.ConsistencyProof(ctx, old.size, tr.size)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, old.size, tr.size, p, old.root, tr.root); err != nil {
				t.Errorf("tessera/client: tree %d consistent with tree %d: %v", tr.size, old.size, err)
			}
		}
	}
}

// tileReader is an x/mod tlog.TileReader on an export target: it reads
// the C2SP tiles, whose paths lack the height segment of tlog's.
type tileReader struct{ to *Target }

func (r tileReader) Height() int { return 8 }
func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tile := range tiles {
		b, err := r.to.Get(context.Background(), strings.Replace(tile.Path(), "tile/8/", "tile/", 1))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}
func (r tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

// checkTlog checks the export with x/mod's tlog: records in every tree,
// every tree consistent with the latest.
func checkTlog(t *testing.T, to *Target, trees []tree) {
	ctx := context.Background()
	last := trees[len(trees)-1]
	lastTree := tlog.Tree{N: int64(last.size), Hash: tlog.Hash(last.root)}
	for _, tr := range trees {
		tt := tlog.Tree{N: int64(tr.size), Hash: tlog.Hash(tr.root)}
		thr := tlog.TileHashReader(tt, tileReader{to})
		for _, i := range []int64{0, tt.N / 2, tt.N - 1} {
			b, err := client.GetEntryBundle(ctx, func(ctx context.Context, i uint64, p uint8) ([]byte, error) {
				return to.Get(ctx, layout.EntriesPath(i, p))
			}, uint64(i)/256, tr.size)
			if err != nil {
				t.Fatal(err)
			}
			p, err := tlog.ProveRecord(tt.N, i, thr)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckRecord(p, tt.N, tt.Hash, i, tlog.RecordHash(b.Entries[i%256])); err != nil {
				t.Errorf("tlog: record %d in tree %d: %v", i, tt.N, err)
			}
		}
		p, err := tlog.ProveTree(lastTree.N, tt.N, tlog.TileHashReader(lastTree, tileReader{to}))
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckTree(p, lastTree.N, lastTree.Hash, tt.N, tt.Hash); err != nil {
			t.Errorf("tlog: tree %d consistent with tree %d: %v", lastTree.N, tt.N, err)
		}
	}
}

// stopAfter is an export target that stops the gateway once n Puts have
// succeeded; those after fail.
type stopAfter struct {
	*Target
	n    int64
	puts atomic.Int64
	stop func()
}

func (s *stopAfter) Put(ctx context.Context, path string, data []byte) error {
	err := s.Target.Put(ctx, path, data)
	if err == nil && s.puts.Add(1) == s.n {
		s.stop()
	}
	return err
}

// TestExportBucketUnreachable stops the gateway in the middle of an
// export: the export fails, saying which target and file it could not
// read or write and why, and leaves the bucket without a checkpoint; once
// the gateway is back, a re-run keeps what the first wrote and finishes
// the export, byte for byte what a clean export to a local directory
// writes.
func TestExportBucketUnreachable(t *testing.T) {
	ctx := context.Background()
	const bucket = "unreachable"
	g := s3test.StartGateway(t, bucket)
	k := ed25519Key(t)
	path := filepath.Join(t.TempDir(), "orders.log")
	appendOrders(t, k, path, 0, 5000)

	to := openTarget(t, g.Endpoint(), bucket, "x")
	_, err := audit.Export(ctx, path, &stopAfter{Target: to, n: 10, stop: g.Stop}, audit.ExportOptions{})
	if err == nil {
		t.Fatal("the export succeeded with the gateway stopped")
	}
	for _, want := range []string{"export target s3://unreachable/x/: ", " tile/", "connection refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	t.Logf("export with the gateway stopped: %v", err)
	g.Start()
	if _, err := to.Get(ctx, "checkpoint"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after the failed export, the checkpoint: %v; want none", err)
	}
	rep, err := audit.Export(ctx, path, to, audit.ExportOptions{})
	if err != nil {
		t.Fatalf("re-run with the gateway back: %v", err)
	}

	dir := t.TempDir()
	dt, err := audit.OpenDirTarget(dir)
	if err != nil {
		t.Fatal(err)
	}
	clean, err := audit.Export(ctx, path, dt, audit.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dt.Close()
	if rep.Size != clean.Size || rep.Previous != 0 || rep.Written+rep.Kept != clean.Written {
		t.Errorf("re-run: %+v; a clean export: %+v", rep, clean)
	}
	if rep.Kept == 0 {
		t.Errorf("re-run: %+v; it kept nothing the interrupted run had written", rep)
	}
	want := map[string][]byte{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == ".export.lock" {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		want["x/"+filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got := s3test.Objects(t, s3test.Client(t, g.Endpoint()), bucket, "")
	if !maps.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("the resumed export differs from a clean one: %d objects %v, want %d %v",
			len(got), slices.Sorted(maps.Keys(got))[:min(5, len(got))], len(want), slices.Sorted(maps.Keys(want))[:min(5, len(want))])
	}
}

// TestGet checks Get's bounds: a missing file is fs.ErrNotExist, an object
// larger than audit.MaxExportFile is refused, a path that is not a clean
// relative one is refused before any request, and a bucket that does not
// exist is named.
func TestGet(t *testing.T) {
	ctx := context.Background()
	endpoint := s3test.Endpoint(t)
	c := s3test.Client(t, endpoint)
	bucket := s3test.Bucket(t, c)
	to := openTarget(t, endpoint, bucket, "p")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("p/tile/0/000"),
		Body: bytes.NewReader(make([]byte, audit.MaxExportFile+1))}); err != nil {
		t.Fatal(err)
	}
	if err := to.Put(ctx, "tile/0/001", make([]byte, audit.MaxExportFile)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		on         *Target // default to
		path, want string
		is         error
		size       int
	}{
		{path: "checkpoint", want: "s3://" + bucket + "/p/: checkpoint", is: fs.ErrNotExist},
		{path: "tile/0/000", want: strconv.Itoa(audit.MaxExportFile+1) + " bytes, more than"},
		{path: "tile/0/001", size: audit.MaxExportFile},
		{path: "../p/tile/0/001", want: "not a relative path"},
		{path: "/tile/0/001", want: "not a relative path"},
		{path: ".", want: "not a relative path"},
		{on: openTarget(t, endpoint, bucket+"-missing", "p"), path: "checkpoint", want: `the bucket "` + bucket + `-missing" does not exist (create it first)`},
	} {
		on := to
		if tc.on != nil {
			on = tc.on
		}
		b, err := on.Get(ctx, tc.path)
		switch {
		case tc.want == "" && (err != nil || len(b) != tc.size):
			t.Errorf("Get(%q): %d bytes, %v; want %d bytes", tc.path, len(b), err, tc.size)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("Get(%q): %v; want an error saying %q", tc.path, err, tc.want)
		case tc.is != nil && !errors.Is(err, tc.is):
			t.Errorf("Get(%q): %v; want it to match %v", tc.path, err, tc.is)
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"s3:///prefix", "no bucket"},
		{"file:///tmp/x", "not an s3:// URL"},
		{"s3://AKIA:secret@bucket/p", "credentials in the URL"},
		{"s3://bucket/p?endpoint=http://h&bogus=1", `unknown parameter "bogus"`},
		{"s3://bucket/p?region=a&region=b", `"region" given 2 times`},
		{"s3://bucket/a//b", "empty, . or .. element"},
		{"s3://bucket/a/../b", "empty, . or .. element"},
		{"s3://bucket/p?endpoint=127.0.0.1:9000", "not an http:// or https:// URL"},
		{"s3://bucket/p#frag", "fragment"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			_, err := Open(context.Background(), tc.url)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open: %v; want an error saying %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("Open: %v shows the secret", err)
			}
		})
	}
}
