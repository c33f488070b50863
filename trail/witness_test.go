package trail

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/internal/litewitness"
	"github.com/tinywindow/tinywindow/provider"
)

// TestTrailWitnessed: with a real witness (litewitness) configured, every
// published trail checkpoint carries its cosignature, from the first one
// to one that needs a consistency proof from it; and a proof from a record
// to the trail carries it.
func TestTrailWitnessed(t *testing.T) {
	ka, trailKey := ed25519Key(t), ed25519Key(t)
	vkey, err := audit.CheckpointVerifierKey(trailOrigin, trailKey)
	if err != nil {
		t.Fatal(err)
	}
	lw := litewitness.Start(t, trailOrigin, vkey)
	wv, err := audit.ParseWitnessKey(lw.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	a := newAdapterLog(t, "adapter.test/a", ka)
	tt := startTrailConfig(t, t.TempDir(), trailKey, Config{
		Logs:      []LogKey{{Origin: a.origin, Keys: []provider.Verifier{ka}}},
		Witnesses: []Witness{{URL: lw.URL, VerifierKey: lw.VerifierKey}},
	})
	tv, _ := note.NewVerifier(vkey)
	var old int64
	for i := range int64(3) {
		msg := a.checkpoint(3, "a")
		var p []tlog.Hash
		if old > 0 {
			p = a.proof(old)
		}
		tt.add(old, p, msg)
		old = a.size
		tt.published(i + 1)
		_, cp := tt.get("/checkpoint")
		n, err := note.Open(cp, note.VerifierList(tv, wv))
		if err != nil {
			t.Fatalf("trail checkpoint %d: %v", i+1, err)
		}
		cosigned := false
		for _, s := range n.Sigs {
			cosigned = cosigned || s.Hash == wv.KeyHash()
		}
		if !cosigned {
			t.Errorf("trail checkpoint %d has no cosignature of the witness:\n%s", i+1, cp)
		}
	}
	if code, _ := tt.get("/checkpoint"); code != http.StatusOK {
		t.Errorf("GET /checkpoint: %d", code)
	}

	// A proof from a record to the trail carries the witness's
	// cosignature: Check finds it when asked to, and refuses a witness
	// that did not cosign.
	ctx := context.Background()
	acc, err := FetchAccepted(ctx, nil, tt.http.URL, a.origin)
	if err != nil {
		t.Fatal(err)
	}
	export := filepath.Join(t.TempDir(), "export")
	to, err := audit.OpenDirTarget(export)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Export(ctx, a.path, to, audit.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	to.Close()
	trailF, err := NewFetcher(tt.http.URL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Prove(ctx, client.FileFetcher{Root: export}, trailF, acc, 4)
	if err != nil {
		t.Fatal(err)
	}
	avs, err := audit.CheckpointVerifiers(a.origin, []provider.Verifier{ka})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Check(avs, tv, wv)
	if err != nil || len(got.Witnesses) != 1 || got.Witnesses[0] != wv.Name() || got.Record.Seq != 4 {
		t.Fatalf("Check with the witness = %+v, %v; want record 4 and the witness's cosignature", got, err)
	}
	other := litewitness.Start(t, trailOrigin, vkey)
	ov, err := audit.ParseWitnessKey(other.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Check(avs, tv, ov); err == nil || !strings.Contains(err.Error(), "no cosignature of witness") {
		t.Fatalf("Check with a witness that did not cosign: %v, want it refused", err)
	}
}

// TestWitnessConfigRefused: a witness with a bad URL or verifier key is a
// configuration error.
func TestWitnessConfigRefused(t *testing.T) {
	for _, w := range []Witness{
		{URL: "ftp://w", VerifierKey: "x"},
		{URL: "http://127.0.0.1:1", VerifierKey: "not a key"},
	} {
		if _, err := witnessGroup([]Witness{w}); !errors.Is(err, provider.ErrInvalidConfig) {
			t.Errorf("witness %+v: %v, want ErrInvalidConfig", w, err)
		}
	}
}
