package execadapter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/internal/testenv"
)

// countingVenue counts the orders that reach the venue it wraps.
type countingVenue struct {
	venue.Venue
	n atomic.Int64
}

func (c *countingVenue) Submit(ctx context.Context, env, id []byte) (venue.Ack, error) {
	c.n.Add(1)
	return c.Venue.Submit(ctx, env, id)
}

// TestFullDiskBatch fills a real file system (a 1 MiB tmpfs) under Batch
// durability with the process alive. From the first failed write on, every
// SendOrder fails with ErrAudit before its order is sent; once space is
// back, the log reopens (its partial record cut) with every record up to
// Durable() at the failure, so every acknowledged order whose records were
// durable then is in it; only orders acknowledged after that can be lost,
// as docs/execadapter.md says.
func TestFullDiskBatch(t *testing.T) {
	dir := testenv.Tmpfs(t, "1m")
	f := newFixture(t, options{path: filepath.Join(dir, "audit.log"), audit: audit.Options{Durability: audit.Batch}})
	v := &countingVenue{Venue: f.sim}
	a, err := New(Config{Signer: f.key, Venue: v, Risk: f.a.cfg.Risk, Audit: f.log, Now: f.a.cfg.Now})
	if err != nil {
		t.Fatal(err)
	}
	type acked struct {
		id  string
		seq uint64 // the log's last record when SendOrder returned
	}
	var acks []acked
	ctx := context.Background()
	var failure error
	for i := 0; i < 1_000_000; i++ {
		id := fmt.Sprintf("o-%07d", i)
		ack, err := a.SendOrder(ctx, f.order(t, id, nil))
		if err != nil {
			failure = err
			break
		}
		if ack.Status == venue.Accepted {
			acks = append(acks, acked{id, f.log.Seq()})
		}
	}
	if !errors.Is(failure, ErrAudit) || !errors.Is(failure, audit.ErrNotDurable) || !errors.Is(failure, syscall.ENOSPC) {
		t.Fatalf("first failure %v; want ErrAudit and ErrNotDurable wrapping ENOSPC", failure)
	}
	durable := f.log.Durable()
	// Acknowledging stops at once: every later order fails before it is sent.
	reached := v.n.Load()
	for i := range 100 {
		_, err := a.SendOrder(ctx, f.order(t, fmt.Sprintf("after-%d", i), nil))
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrAudit) || e.Delivery != venue.NotSent {
			t.Fatalf("order %d after the failure: %v; want ErrAudit, not sent", i, err)
		}
	}
	if n := v.n.Load(); n != reached {
		t.Fatalf("%d orders reached the venue after the failure", n-reached)
	}
	if err := f.log.Close(); !errors.Is(err, audit.ErrNotDurable) {
		t.Fatalf("Close after the failure: %v; want ErrNotDurable", err)
	}

	// Space comes back: the log reopens and holds every record up to
	// Durable() at the failure.
	testenv.ResizeTmpfs(t, dir, "8m")
	w, rec, err := audit.Open(f.path, audit.Options{Signer: f.ck, Durability: audit.Always})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if rec.Records < durable {
		t.Fatalf("recovered %d records; %d were durable at the failure", rec.Records, durable)
	}
	if _, err := audit.VerifyFile(ctx, f.path, f.ckKeys); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	lost := 0
	for _, k := range acks {
		if bytes.Contains(b, []byte(k.id)) {
			continue
		}
		lost++
		if k.seq <= durable {
			t.Errorf("order %s was acknowledged with its records durable (record %d, durable %d) but is not in the log", k.id, k.seq, durable)
		}
	}
	t.Logf("%d orders acknowledged, %d records durable at the failure, %d recovered (%v); %d acknowledged orders lost, each acknowledged after the last durable record", len(acks), durable, rec.Records, rec, lost)
}
