package execadapter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/internal/trailtest"
	"github.com/tinywindow/tinywindow/provider"
)

// quiet discards the log lines of failed trail requests.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestSendOrderWhileTrailStuck sends orders while every request to the
// trail of Config.Trails is held by the trail and never answered: each
// order is acknowledged and audited, checkpoints are signed, and the log
// closes; no request was answered meanwhile.
func TestSendOrderWhileTrailStuck(t *testing.T) {
	for _, d := range []audit.Durability{audit.Always, audit.Batch} {
		t.Run(d.String(), func(t *testing.T) {
			tr := &trailtest.Trail{Block: make(chan struct{})}
			srv := httptest.NewServer(tr)
			t.Cleanup(srv.Close)
			t.Cleanup(tr.Release) // before srv.Close, which waits for the handlers
			f := newFixture(t, options{noRisk: true, audit: audit.Options{Durability: d, CheckpointEvery: 50, Logger: quiet},
				trails: []audit.Trail{{URL: srv.URL, Timeout: 100 * time.Millisecond}}})
			<-tr.Entered()
			before := f.log.Stats().Checkpoints
			const orders = 500
			for i := range orders {
				ack, err := f.a.SendOrder(context.Background(), f.order(t, fmt.Sprintf("c-%d", i), nil))
				if err != nil || ack.Status != venue.Accepted {
					t.Fatalf("order %d: %+v, %v", i, ack, err)
				}
			}
			if err := f.log.Checkpoint(context.Background()); err != nil {
				t.Fatal(err)
			}
			st := f.log.Stats()
			if st.Checkpoints <= before || st.TrailAccepted != 0 || st.TrailBehind != 1 {
				t.Fatalf("stats %+v (%d checkpoints before the orders)", st, before)
			}
			rep := f.verifyAudit(t) // closes the log
			if n := len(tr.Requests()); n != 0 || tr.Stuck() == 0 {
				t.Fatalf("%d trail requests answered, %d stuck: the trail was not held throughout", n, tr.Stuck())
			}
			if rep.ByType[audit.TypeOrder] != orders || rep.ByType[audit.TypeAck] != orders {
				t.Fatalf("audit %+v", rep)
			}
		})
	}
}

// TestConfigTrails checks that New forwards the audit log's checkpoints to
// Config.Trails, and refuses Trails without Audit or with a bad URL.
func TestConfigTrails(t *testing.T) {
	tr := &trailtest.Trail{}
	srv := httptest.NewServer(tr)
	t.Cleanup(srv.Close)
	f := newFixture(t, options{audit: audit.Options{Durability: audit.Always}, trails: []audit.Trail{{URL: srv.URL}}})
	if _, err := f.a.SendOrder(context.Background(), f.order(t, "c-1", nil)); err != nil {
		t.Fatal(err)
	}
	f.verifyAudit(t) // closes the log, which gives the trail its last checkpoint
	if st := f.log.Stats(); st.TrailAccepted == 0 || st.TrailBehind != 0 {
		t.Fatalf("stats %+v", st)
	}
	if got, want := tr.Size(f.log.Origin()), int64(f.log.Seq())-1; got < want {
		t.Fatalf("the trail holds the log at size %d, want at least %d", got, want)
	}
	other := newFixture(t, options{audit: audit.Options{Logger: quiet}})
	t.Cleanup(func() { other.log.Close() })
	for name, cfg := range map[string]Config{
		"without Audit": {Signer: f.key, Venue: f.sim, Trails: []audit.Trail{{URL: srv.URL}}},
		"bad URL":       {Signer: f.key, Venue: f.sim, Audit: other.log, Trails: []audit.Trail{{URL: "trail.example:80"}}},
	} {
		if _, err := New(cfg); !errors.Is(err, provider.ErrInvalidConfig) {
			t.Errorf("%s: New: %v, want ErrInvalidConfig", name, err)
		}
	}
}
