// Package interop_test checks the C2SP tlog-tiles export of an audit log
// (audit.Export, tinywindow audit export) with Tessera's client, a
// tlog-tiles reader written outside this project. It is a module of its
// own so that Tessera's module graph never reaches the root module.
package interop_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/pem"
)

const origin = "tinywindow.test/interop"

// ed25519Key opens a new Ed25519 checkpoint key through the pem: backend.
func ed25519Key(t *testing.T) provider.Key {
	t.Helper()
	return testenv.MustOpen(t, "pem:key-source=file:"+testenv.Ed25519KeyFile(t, t.TempDir(), "checkpoint-key.pem"))
}

// appendAndExport appends n orders to the log at path and exports it to
// dir.
func appendAndExport(t *testing.T, k provider.Key, path, dir string, first, n int) {
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
	to, err := audit.OpenDirTarget(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer to.Close()
	if _, err := audit.Export(context.Background(), path, to, audit.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestTesseraClient serves an export over HTTP and checks it with
// tessera/client and the checkpoint's verifier key alone: each checkpoint
// the export held opens; records (fetched from their entry bundles) are in
// the tree of each; the trees of any two are consistent; and an entry's
// bytes are the record the log holds, which Prove's proof names too.
func TestTesseraClient(t *testing.T) {
	ctx := context.Background()
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
	dir := t.TempDir()
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	f, err := client.NewHTTPFetcher(u, nil)
	if err != nil {
		t.Fatal(err)
	}

	type tree struct {
		size uint64
		root []byte
	}
	var trees []tree
	for i, n := range []int{300, 1, 70_000} {
		appendAndExport(t, k, path, dir, i*100_000, n)
		cp, _, _, err := client.FetchCheckpoint(ctx, f.ReadCheckpoint, verifier, origin)
		if err != nil {
			t.Fatalf("export %d: %v", i+1, err)
		}
		trees = append(trees, tree{cp.Size, cp.Hash})
	}
	for _, tr := range trees {
		pb, err := client.NewProofBuilder(ctx, tr.size, f.ReadTile)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range []uint64{0, 1, 255, 256, tr.size / 2, tr.size - 1} {
			b, err := client.GetEntryBundle(ctx, f.ReadEntryBundle, i/256, tr.size)
			if err != nil {
				t.Fatalf("tree %d, bundle of entry %d: %v", tr.size, i, err)
			}
			entry := b.Entries[i%256]
			p, err := pb.InclusionProof(ctx, i)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, i, tr.size, rfc6962.DefaultHasher.HashLeaf(entry), p, tr.root); err != nil {
				t.Errorf("entry %d in tree %d: %v", i, tr.size, err)
			}
			if tr.size == trees[len(trees)-1].size {
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
				t.Errorf("tree %d consistent with tree %d: %v", tr.size, old.size, err)
			}
		}
	}
	// A changed entry fails its inclusion proof.
	last := trees[len(trees)-1]
	pb, _ := client.NewProofBuilder(ctx, last.size, f.ReadTile)
	b, err := client.GetEntryBundle(ctx, f.ReadEntryBundle, 0, last.size)
	if err != nil {
		t.Fatal(err)
	}
	entry := bytes.Clone(b.Entries[7])
	entry[len(entry)-1] ^= 1
	p, _ := pb.InclusionProof(ctx, 7)
	if proof.VerifyInclusion(rfc6962.DefaultHasher, 7, last.size, rfc6962.DefaultHasher.HashLeaf(entry), p, last.root) == nil {
		t.Error("a changed entry proved")
	}
}
