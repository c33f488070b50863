package audit

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/internal/recordfile"
	"github.com/tinywindow/tinywindow/internal/regularfile"
	"github.com/tinywindow/tinywindow/provider"
)

const exportOrigin = "tinywindow.test/export"

// appendNotes opens the log at path with key k, appends n notes numbered
// from first, each size bytes or more, and closes it.
func appendNotes(t testing.TB, path string, k provider.Signer, first, n, size int) {
	t.Helper()
	w, _, err := Open(path, Options{Signer: k, Origin: exportOrigin, CheckpointEvery: 5000})
	if err != nil {
		t.Fatal(err)
	}
	pad := bytes.Repeat([]byte{'.'}, size)
	for i := first; i < first+n; i++ {
		if err := w.Append(TypeNote, int64(i), []byte("note "+strconv.Itoa(i)), pad); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// exportTo exports the log at path to the directory dir.
func exportTo(t testing.TB, path, dir string) (*ExportReport, error) {
	t.Helper()
	d, err := OpenDirTarget(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	return Export(context.Background(), path, d, ExportOptions{})
}

func mustExport(t testing.TB, path, dir string) *ExportReport {
	t.Helper()
	rep, err := exportTo(t, path, dir)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// readTree returns every file under dir but the lock file, by
// slash-separated path.
func readTree(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == ".export.lock" {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// logEntries returns the entries of the log at path: each record, length
// to payload.
func logEntries(t testing.TB, path string) [][]byte {
	t.Helper()
	var out [][]byte
	if err := scanLog(path, func(s *scanner, _ Record) (bool, error) {
		out = append(out, bytes.Clone(s.raw[:len(s.raw)-HashSize]))
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// c2spPath is the C2SP path of an x/mod tlog tile: its path without the
// height segment, "data" spelled "entries".
func c2spPath(tile tlog.Tile) string {
	p := strings.Replace(tile.Path(), "tile/8/", "tile/", 1)
	return strings.Replace(p, "tile/data/", "tile/entries/", 1)
}

func TestTilePath(t *testing.T) {
	for _, tc := range []struct {
		level int
		n     int64
		w     int
		want  string
	}{
		{0, 0, 256, "tile/0/000"},
		{0, 0, 1, "tile/0/000.p/1"},
		{1, 999, 256, "tile/1/999"},
		{0, 1000, 255, "tile/0/x001/000.p/255"},
		{2, 1234067, 256, "tile/2/x001/x234/067"},
		{entriesLevel, 1234067, 7, "tile/entries/x001/x234/067.p/7"},
		{entriesLevel, 5, 256, "tile/entries/005"},
		{3, 1 << 62, 256, "tile/3/x004/x611/x686/x018/x427/x387/904"},
	} {
		if got := tilePath(tc.level, tc.n, tc.w); got != tc.want {
			t.Errorf("tilePath(%d, %d, %d) = %q, want %q", tc.level, tc.n, tc.w, got, tc.want)
		}
		tile := tlog.Tile{H: 8, L: tc.level, N: tc.n, W: tc.w}
		if got := c2spPath(tile); got != tc.want {
			t.Errorf("tlog's path of %+v, as C2SP spells it, %q, want %q", tile, got, tc.want)
		}
	}
}

// TestTileBuilderTreeHash checks the tile builder's root against
// tlog.TreeHash at every size to past two full level-1 tiles' worth of
// level-0 tiles.
func TestTileBuilderTreeHash(t *testing.T) {
	var b tileBuilder
	var stored []tlog.Hash
	hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	emit := func(tileFile) error { return nil }
	for n := int64(0); n < 2*256*256+300; n++ {
		if n%97 == 0 || n < 1100 || n%65536 < 3 {
			want, err := tlog.TreeHash(n, hr)
			if err != nil {
				t.Fatal(err)
			}
			if got := b.treeHash(); got != want {
				t.Fatalf("size %d: %v, tlog %v", n, got, want)
			}
		}
		e := []byte(strconv.FormatInt(n, 10))
		hs, err := tlog.StoredHashes(n, e, hr)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
		b.add(e, tlog.RecordHash(e), emit)
	}
}

// TestExportIsTlogTiles checks an export file by file against x/mod's
// tlog: the set of hash tiles is tlog.NewTiles's, each tile holds
// tlog.ReadTileData's bytes, each entry bundle holds the log's records and
// nothing else is written, at sizes that make partial tiles at three
// levels and at none.
func TestExportIsTlogTiles(t *testing.T) {
	k := newEdKey(t)
	for _, records := range []int{3, 256, 70_000} {
		t.Run(strconv.Itoa(records), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.log")
			appendNotes(t, path, k, 0, records, 0)
			dir := t.TempDir()
			rep := mustExport(t, path, dir)
			got := readTree(t, dir)
			entries := logEntries(t, path)[:rep.Size]

			var stored []tlog.Hash
			hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
				out := make([]tlog.Hash, len(idx))
				for i, x := range idx {
					out[i] = stored[x]
				}
				return out, nil
			})
			for i, e := range entries {
				hs, err := tlog.StoredHashes(int64(i), e, hr)
				if err != nil {
					t.Fatal(err)
				}
				stored = append(stored, hs...)
			}
			want := map[string]bool{"checkpoint": true}
			for _, tile := range tlog.NewTiles(8, 0, rep.Size) {
				data, err := tlog.ReadTileData(tile, hr)
				if err != nil {
					t.Fatal(err)
				}
				p := c2spPath(tile)
				want[p] = true
				if !bytes.Equal(got[p], data) {
					t.Errorf("%s: %d bytes, not tlog's %d", p, len(got[p]), len(data))
				}
				if tile.L != 0 {
					continue
				}
				// The entry bundle beside each level-0 tile.
				bp := c2spPath(tlog.Tile{H: 8, L: -1, N: tile.N, W: tile.W})
				want[bp] = true
				var bundle []byte
				for _, e := range entries[tile.N*256 : tile.N*256+int64(tile.W)] {
					bundle = binary.BigEndian.AppendUint16(bundle, uint16(len(e)))
					bundle = append(bundle, e...)
				}
				if !bytes.Equal(got[bp], bundle) {
					t.Errorf("%s: not the log's records %d to %d", bp, tile.N*256+1, tile.N*256+int64(tile.W))
				}
			}
			for p := range got {
				if !want[p] {
					t.Errorf("%s: not a file of the tlog-tiles log of size %d", p, rep.Size)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d files, want %d", len(got), len(want))
			}
		})
	}
}

// tileClient is a C2SP tlog-tiles client built on x/mod's tlog alone: it
// knows the log's URL and its checkpoint key's verifier key, nothing else.
type tileClient struct {
	t    testing.TB
	url  string
	vkey string
}

func (c *tileClient) get(p string) []byte {
	c.t.Helper()
	resp, err := http.Get(c.url + "/" + p)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s: %s", p, resp.Status)
	}
	return b.Bytes()
}

// checkpoint verifies a signed checkpoint with the verifier key alone and
// returns its tree.
func (c *tileClient) checkpoint(msg []byte) tlog.Tree {
	c.t.Helper()
	v, err := note.NewVerifier(c.vkey)
	if err != nil {
		c.t.Fatal(err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		c.t.Fatalf("checkpoint: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || lines[0] != exportOrigin {
		c.t.Fatalf("checkpoint %q", n.Text)
	}
	h, err := tlog.ParseHash(lines[2])
	if err != nil {
		c.t.Fatal(err)
	}
	return tlog.Tree{N: size, Hash: h}
}

func (c *tileClient) Height() int { return 8 }
func (c *tileClient) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tile := range tiles {
		out[i] = c.get(c2spPath(tile))
	}
	return out, nil
}
func (c *tileClient) SaveTiles([]tlog.Tile, [][]byte) {}

// entry fetches entry i of the tree from its entry bundle.
func (c *tileClient) entry(tree tlog.Tree, i int64) []byte {
	c.t.Helper()
	w := min(256, tree.N-i/256*256)
	b := c.get(c2spPath(tlog.Tile{H: 8, L: -1, N: i / 256, W: int(w)}))
	for j := int64(0); ; j++ {
		l := int(binary.BigEndian.Uint16(b))
		if j == i%256 {
			return b[2 : 2+l]
		}
		b = b[2+l:]
	}
}

// proveRecord proves and checks entry i's inclusion in tree from the tiles.
func (c *tileClient) proveRecord(tree tlog.Tree, i int64) error {
	thr := tlog.TileHashReader(tree, c)
	p, err := tlog.ProveRecord(tree.N, i, thr)
	if err != nil {
		return err
	}
	return tlog.CheckRecord(p, tree.N, tree.Hash, i, tlog.RecordHash(c.entry(tree, i)))
}

// TestExportVerifiesWithTlog serves an export over HTTP and checks, with
// x/mod's tlog and the checkpoint's verifier key alone, that records are
// in the tree of each checkpoint the export ever held, and that the trees
// of two checkpoints are consistent. A record's entry decodes to the
// record the log holds.
func TestExportVerifiesWithTlog(t *testing.T) {
	k := newEdKey(t)
	path := filepath.Join(t.TempDir(), "a.log")
	dir := t.TempDir()
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	vkey, err := CheckpointVerifierKey(exportOrigin, k)
	if err != nil {
		t.Fatal(err)
	}
	c := &tileClient{t: t, url: srv.URL, vkey: vkey}

	var trees []tlog.Tree
	for i, n := range []int{700, 1, 66_000} {
		appendNotes(t, path, k, i*100_000, n, 0)
		mustExport(t, path, dir)
		trees = append(trees, c.checkpoint(c.get("checkpoint")))
	}
	entries := logEntries(t, path)
	for _, tree := range trees {
		for _, i := range []int64{0, 1, 255, 256, tree.N / 2, tree.N - 1} {
			if err := c.proveRecord(tree, i); err != nil {
				t.Errorf("record %d in tree of size %d: %v", i+1, tree.N, err)
			}
			if !bytes.Equal(c.entry(tree, i), entries[i]) {
				t.Errorf("entry %d is not record %d", i, i+1)
			}
		}
	}
	for i := range trees {
		for _, old := range trees[:i] {
			newer := trees[i]
			p, err := tlog.ProveTree(newer.N, old.N, tlog.TileHashReader(newer, c))
			if err == nil {
				err = tlog.CheckTree(p, newer.N, newer.Hash, old.N, old.Hash)
			}
			if err != nil {
				t.Errorf("tree %d consistent with tree %d: %v", newer.N, old.N, err)
			}
		}
	}
	// A changed entry does not prove.
	rec := entries[5]
	rec[len(rec)-1] ^= 1
	last := trees[len(trees)-1]
	p, err := tlog.ProveRecord(last.N, 5, tlog.TileHashReader(last, c))
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckRecord(p, last.N, last.Hash, 5, tlog.RecordHash(rec)); err == nil {
		t.Error("a changed entry proved")
	}
}

// countingTarget is a DirTarget that records its Puts and fails the one
// numbered failAt (from 1) and every one after it.
type countingTarget struct {
	*DirTarget
	mu     sync.Mutex
	puts   []string
	failAt int
	// synced[i] is the number of Puts before the i-th Sync.
	synced []int
}

func (c *countingTarget) Sync(ctx context.Context) error {
	c.mu.Lock()
	c.synced = append(c.synced, len(c.puts))
	c.mu.Unlock()
	return c.DirTarget.Sync(ctx)
}

func (c *countingTarget) Put(ctx context.Context, p string, data []byte) error {
	c.mu.Lock()
	c.puts = append(c.puts, p)
	n := len(c.puts)
	c.mu.Unlock()
	if c.failAt > 0 && n >= c.failAt {
		return errors.New("injected failure")
	}
	return c.DirTarget.Put(ctx, p, data)
}

func exportCounting(t *testing.T, path, dir string, failAt int) (*ExportReport, []string, error) {
	t.Helper()
	d, err := OpenDirTarget(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c := &countingTarget{DirTarget: d, failAt: failAt}
	rep, err := Export(context.Background(), path, c, ExportOptions{Parallel: 4})
	if err == nil && len(c.puts) > 0 {
		// The checkpoint is put last, after a Sync of every other file,
		// and synced itself.
		n := len(c.puts)
		if c.puts[n-1] != "checkpoint" || !slices.Contains(c.synced, n-1) || c.synced[len(c.synced)-1] != n {
			t.Errorf("puts %v, syncs after %v: want the checkpoint last, between two Syncs", c.puts, c.synced)
		}
	}
	return rep, c.puts, err
}

// TestExportIncremental: a second export of the same log writes nothing;
// one after the log grew writes only new files (the new checkpoint, the
// tiles and bundles past the old one, and the new partial ones), and the
// result holds every file a fresh export of the log makes, byte for byte,
// plus the partial tiles of the earlier checkpoint.
func TestExportIncremental(t *testing.T) {
	k := newEdKey(t)
	path := filepath.Join(t.TempDir(), "a.log")
	dir, fresh, again := t.TempDir(), t.TempDir(), t.TempDir()
	appendNotes(t, path, k, 0, 1000, 0)
	rep1, _, err := exportCounting(t, path, dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	before := readTree(t, dir)

	rep, puts, err := exportCounting(t, path, dir, 0)
	if err != nil || len(puts) != 0 || rep.Written != 0 || rep.Kept != len(before)-1 {
		t.Fatalf("second export of the same log: %+v, puts %v, %v; want nothing written, %d kept", rep, puts, err, len(before)-1)
	}

	appendNotes(t, path, k, 1000, 2000, 0)
	rep, puts, err = exportCounting(t, path, dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Previous != rep1.Size || rep.Size <= rep1.Size {
		t.Fatalf("export after growth: %+v, want previous %d", rep, rep1.Size)
	}
	for _, p := range puts {
		if _, ok := before[p]; ok && p != "checkpoint" {
			t.Errorf("rewrote %s, which the first export wrote", p)
		}
	}
	if len(puts) != rep.Written {
		t.Errorf("%d puts, report says %d written", len(puts), rep.Written)
	}

	mustExport(t, path, fresh)
	d, err := OpenDirTarget(again)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Export(context.Background(), path, d, ExportOptions{Parallel: 1})
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	inc, f1, f2 := readTree(t, dir), readTree(t, fresh), readTree(t, again)
	if fmt.Sprint(f1) != fmt.Sprint(f2) {
		t.Error("two exports of one log, with 16 workers and with 1, differ")
	}
	for p, b := range f1 {
		if !bytes.Equal(inc[p], b) {
			t.Errorf("%s: the incremental export differs from a fresh one", p)
		}
	}
	for p := range inc {
		if _, ok := f1[p]; !ok && !strings.Contains(p, ".p/") {
			t.Errorf("%s: in the incremental export only, and not a partial tile", p)
		}
	}
	if p := tilePath(0, rep1.Size/256, int(rep1.Size%256)); !bytes.Equal(inc[p], before[p]) {
		t.Errorf("%s: the first checkpoint's partial tile is gone or changed", p)
	}
}

// TestExportResumes: a run that fails part way (a full disk, a kill)
// leaves the previous export as it was, checkpoint and files; the next run
// finishes the export, which is then what a fresh export makes, also when a
// file past the checkpoint holds other bytes (a crash can leave one so on
// a target that shows files before Sync).
func TestExportResumes(t *testing.T) {
	k := newEdKey(t)
	path := filepath.Join(t.TempDir(), "a.log")
	dir, fresh := t.TempDir(), t.TempDir()
	appendNotes(t, path, k, 0, 600, 0)
	mustExport(t, path, dir)
	before := readTree(t, dir)
	appendNotes(t, path, k, 600, 3000, 0)

	_, _, err := exportCounting(t, path, dir, 5)
	if err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("interrupted export: %v, want the injected failure", err)
	}
	got := readTree(t, dir)
	for p, b := range before {
		if !bytes.Equal(got[p], b) {
			t.Errorf("%s: changed by an interrupted export", p)
		}
	}
	past := filepath.Join(dir, filepath.FromSlash(tilePath(0, 8, tileWidth)))
	os.MkdirAll(filepath.Dir(past), 0o755)
	if err := os.WriteFile(past, []byte("cut short"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := exportTo(t, path, dir); err != nil {
		t.Fatal(err)
	}
	mustExport(t, path, fresh)
	inc, f := readTree(t, dir), readTree(t, fresh)
	for p, b := range f {
		if !bytes.Equal(inc[p], b) {
			t.Errorf("%s: the resumed export differs from a fresh one", p)
		}
	}
	for p := range inc {
		if _, ok := f[p]; !ok && !strings.Contains(p, ".p/") {
			t.Errorf("%s: left by the interrupted export", p)
		}
	}
}

// TestExportRefuses: a changed file of the export, a checkpoint not of the
// log, a log shorter than the export or forked from it: each is an
// *ExportConflictError naming the file, and the export's checkpoint stays.
// A missing file of the export is written again and counted.
func TestExportRefuses(t *testing.T) {
	k := newEdKey(t)
	// base and fork share their first 100 notes, then differ.
	prefix := filepath.Join(t.TempDir(), "prefix.log")
	appendNotes(t, prefix, k, 0, 100, 0)
	base, fork := filepath.Join(t.TempDir(), "base.log"), filepath.Join(t.TempDir(), "fork.log")
	copyFile(t, prefix, base)
	appendNotes(t, base, k, 100, 1400, 0)
	copyFile(t, prefix, fork)
	appendNotes(t, fork, k, 50_000, 1800, 0)
	for _, tc := range []struct {
		name string
		// change is given the log, the export directory (holding the
		// export of the base log) and returns the file a conflict names,
		// or "" for none.
		change   func(t *testing.T, log, dir string, size int64) string
		restored int
	}{{
		name: "changed full tile",
		change: func(t *testing.T, log, dir string, size int64) string {
			flipByte(t, filepath.Join(dir, "tile", "0", "002"), 100)
			return "tile/0/002"
		},
	}, {
		name: "changed entry bundle",
		change: func(t *testing.T, log, dir string, size int64) string {
			flipByte(t, filepath.Join(dir, "tile", "entries", "000"), 40)
			return "tile/entries/000"
		},
	}, {
		name: "changed partial tile",
		change: func(t *testing.T, log, dir string, size int64) string {
			p := tilePath(0, size/256, int(size%256))
			flipByte(t, filepath.Join(dir, filepath.FromSlash(p)), 0)
			return p
		},
	}, {
		name: "tile cut short",
		change: func(t *testing.T, log, dir string, size int64) string {
			if err := os.Truncate(filepath.Join(dir, "tile", "0", "001"), 4096); err != nil {
				t.Fatal(err)
			}
			return "tile/0/001"
		},
	}, {
		name: "empty checkpoint",
		change: func(t *testing.T, log, dir string, size int64) string {
			if err := os.Truncate(filepath.Join(dir, "checkpoint"), 0); err != nil {
				t.Fatal(err)
			}
			return "checkpoint"
		},
	}, {
		name: "changed checkpoint",
		change: func(t *testing.T, log, dir string, size int64) string {
			flipByte(t, filepath.Join(dir, "checkpoint"), 30)
			return "checkpoint"
		},
	}, {
		name: "log shorter than the export",
		change: func(t *testing.T, log, dir string, size int64) string {
			short := filepath.Join(t.TempDir(), "short.log")
			appendNotes(t, short, k, 0, 10, 0)
			copyFile(t, short, log)
			return "checkpoint"
		},
	}, {
		name: "log forked from the export",
		change: func(t *testing.T, log, dir string, size int64) string {
			copyFile(t, fork, log)
			return "checkpoint"
		},
	}, {
		name: "another log",
		change: func(t *testing.T, log, dir string, size int64) string {
			other := filepath.Join(t.TempDir(), "other.log")
			w, _, err := Open(other, Options{Signer: k, Origin: "tinywindow.test/other"})
			if err != nil {
				t.Fatal(err)
			}
			w.Close()
			copyFile(t, other, log)
			return "checkpoint"
		},
	}, {
		name: "truncated export",
		change: func(t *testing.T, log, dir string, size int64) string {
			for _, p := range []string{"tile/0/001", "tile/entries/003", tilePath(1, 0, int(size/256))} {
				if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil {
					t.Fatal(err)
				}
			}
			return ""
		},
		restored: 3,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "a.log")
			copyFile(t, base, log)
			dir := t.TempDir()
			size := mustExport(t, log, dir).Size
			appendNotes(t, log, k, 1500, 300, 0)
			want := tc.change(t, log, dir, size)
			cp := readTree(t, dir)["checkpoint"]
			rep, err := exportTo(t, log, dir)
			if want == "" {
				if err != nil || rep.Restored != tc.restored {
					t.Fatalf("export: %+v, %v; want %d restored", rep, err, tc.restored)
				}
				fresh := t.TempDir()
				mustExport(t, log, fresh)
				got := readTree(t, dir)
				for p, b := range readTree(t, fresh) {
					if !bytes.Equal(got[p], b) {
						t.Errorf("%s differs from a fresh export", p)
					}
				}
				return
			}
			var conflict *ExportConflictError
			if !errors.As(err, &conflict) || conflict.Path != want {
				t.Fatalf("export: %v; want a conflict on %s", err, want)
			}
			t.Log(err)
			if got := readTree(t, dir)["checkpoint"]; !bytes.Equal(got, cp) {
				t.Error("the refused export changed the checkpoint")
			}
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func flipByte(t *testing.T, p string, i int) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[i] ^= 1
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestExportBadInput: a log that is not a regular file, a corrupt log, a
// log without a checkpoint, a record too long for an entry bundle, a
// special file or a directory in the place of an export file, a target
// another export holds: each an error, at once.
func TestExportBadInput(t *testing.T) {
	k := newEdKey(t)
	good := filepath.Join(t.TempDir(), "good.log")
	appendNotes(t, good, k, 0, 300, 0)
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, log, dir string) // log holds a copy of good
		want  string
		is    error
	}{{
		name: "log is a named pipe",
		setup: func(t *testing.T, log, dir string) {
			os.Remove(log)
			if err := syscall.Mkfifo(log, 0o600); err != nil {
				t.Skip(err)
			}
		},
		want: "not a regular file",
	}, {
		name: "corrupt log",
		setup: func(t *testing.T, log, dir string) {
			flipByte(t, log, 200)
		},
		is: ErrCorrupt,
	}, {
		name: "record length out of bounds",
		setup: func(t *testing.T, log, dir string) {
			b, _ := os.ReadFile(log)
			copy(b[len(Magic):], []byte{0xff, 0xff, 0xff, 0xff})
			os.WriteFile(log, b, 0o600)
		},
		is:   ErrCorrupt,
		want: "record 1 at byte 8: length",
	}, {
		name: "not an audit log",
		setup: func(t *testing.T, log, dir string) {
			os.WriteFile(log, []byte("TWAUDIT\x01 and more"), 0o600)
		},
		is:   ErrCorrupt,
		want: "does not start with the audit log header",
	}, {
		name: "log without records",
		setup: func(t *testing.T, log, dir string) {
			os.WriteFile(log, []byte(Magic), 0o600)
		},
		want: "holds no checkpoint",
	}, {
		name: "record too long for an entry bundle",
		setup: func(t *testing.T, log, dir string) {
			appendNotes(t, log, k, 0, 1, MaxExportEntry)
		},
		want: "more than the 65535 of an entry",
	}, {
		name: "named pipe in the place of a tile",
		setup: func(t *testing.T, log, dir string) {
			os.MkdirAll(filepath.Join(dir, "tile", "0"), 0o755)
			if err := syscall.Mkfifo(filepath.Join(dir, "tile", "0", "000"), 0o600); err != nil {
				t.Skip(err)
			}
		},
		want: "not a regular file",
	}, {
		name: "directory in the place of the checkpoint",
		setup: func(t *testing.T, log, dir string) {
			os.MkdirAll(filepath.Join(dir, "checkpoint"), 0o755)
		},
		want: "not a regular file",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "a.log")
			b, _ := os.ReadFile(good)
			os.WriteFile(log, b, 0o600)
			dir := t.TempDir()
			tc.setup(t, log, dir)
			_, err := exportTo(t, log, dir)
			if err == nil || tc.is != nil && !errors.Is(err, tc.is) || tc.want != "" && !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("export: %v; want %q %v", err, tc.want, tc.is)
			}
			t.Log(err)
		})
	}
	t.Run("target held by another export", func(t *testing.T) {
		dir := t.TempDir()
		d, err := OpenDirTarget(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		_, err = OpenDirTarget(dir)
		var locked *recordfile.LockedError
		if !errors.As(err, &locked) {
			t.Fatalf("second OpenDirTarget: %v, want a LockedError", err)
		}
	})
	t.Run("target is a file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "f")
		os.WriteFile(p, nil, 0o644)
		if _, err := OpenDirTarget(p); err == nil || !strings.Contains(err.Error(), "not a directory") {
			t.Fatalf("OpenDirTarget of a file: %v", err)
		}
	})
	t.Run("path outside the target", func(t *testing.T) {
		d, err := OpenDirTarget(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		for _, p := range []string{"../x", "/etc/passwd", ".", "a/../../b"} {
			if err := d.Put(context.Background(), p, nil); err == nil {
				t.Errorf("Put(%q) wrote outside the target", p)
			}
			if _, err := d.Get(context.Background(), p); err == nil || errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Get(%q): %v, want a refusal", p, err)
			}
		}
	})
}

// TestDirTarget: a Put is in place, mode 0644 in directories of mode 0755
// (with umask 022), once Sync returns and not before; Get of a missing file
// matches fs.ErrNotExist, of one larger than MaxExportFile is refused.
func TestDirTarget(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "export")
	d, err := OpenDirTarget(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Get(ctx, "tile/0/000"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Get of a missing file: %v", err)
	}
	if err := d.Put(ctx, "tile/0/000", []byte("new")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Get(ctx, "tile/0/000"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Get before Sync: %v, want no file yet", err)
	}
	if err := d.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if b, err := d.Get(ctx, "tile/0/000"); err != nil || string(b) != "new" {
		t.Fatalf("Get after Sync: %q, %v", b, err)
	}
	for p, mode := range map[string]fs.FileMode{"tile/0/000": 0o644, "tile/0": fs.ModeDir | 0o755, "tile": fs.ModeDir | 0o755} {
		st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil || st.Mode() != mode {
			t.Errorf("%s: mode %v, %v; want %v", p, st.Mode(), err, mode)
		}
	}
	big := filepath.Join(dir, "tile", "entries", "000")
	os.MkdirAll(filepath.Dir(big), 0o755)
	if err := os.WriteFile(big, make([]byte, MaxExportFile+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Get(ctx, "tile/entries/000"); !errors.Is(err, regularfile.ErrTooLarge) {
		t.Errorf("Get of a file larger than MaxExportFile: %v", err)
	}
}

// TestExportLiveLog: a log a writer is appending to, cut anywhere (at a
// record's end, or in the middle of a record or of a checkpoint record),
// exports up to its latest complete checkpoint record.
func TestExportLiveLog(t *testing.T) {
	k := newEdKey(t)
	path := filepath.Join(t.TempDir(), "a.log")
	appendNotes(t, path, k, 0, 100, 0)
	before, _ := os.ReadFile(path)
	appendNotes(t, path, k, 100, 30, 0)
	after, _ := os.ReadFile(path)
	live := filepath.Join(t.TempDir(), "live.log")
	dir := t.TempDir()
	for _, cut := range []int{len(before), len(before) + 7, len(before) + 200, len(after) - 1} {
		if err := os.WriteFile(live, after[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		last, _, err := logCheckpoints(live, 0)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := exportTo(t, live, t.TempDir())
		if err != nil {
			t.Fatalf("log cut at byte %d: %v", cut, err)
		}
		if rep.Size != last.c.N || rep.Size < 100 {
			t.Errorf("log cut at byte %d: exported %d entries, want the latest checkpoint's %d", cut, rep.Size, last.c.N)
		}
	}

	// A log whose writer is appending as it is exported.
	w, _, err := Open(path, Options{Signer: k, Origin: exportOrigin, CheckpointEvery: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 3000 {
			if w.Append(TypeNote, int64(i), []byte("live")) != nil {
				return
			}
		}
	}()
	for range 3 {
		rep, err := exportTo(t, path, dir)
		if err != nil {
			t.Fatalf("export of a log being appended to: %v", err)
		}
		if rep.Size < rep.Previous {
			t.Fatalf("export of a log being appended to: %+v", rep)
		}
	}
	<-done
}
