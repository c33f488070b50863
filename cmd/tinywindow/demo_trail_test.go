package main

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/internal/trailtest"
)

// TestDemoTrail runs the demo with --trail against a trail: the trail
// receives the audit log's checkpoints, and the summary, as text and as
// JSON, counts what it accepted.
func TestDemoTrail(t *testing.T) {
	tr := &trailtest.Trail{}
	srv := httptest.NewServer(tr)
	t.Cleanup(srv.Close)
	code, out, stderr := execRun(t, "demo", "--orders", "2000", "--trail", srv.URL, "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res struct {
		Trails   int    `json:"audit_trails"`
		Accepted uint64 `json:"audit_trail_accepted"`
		Failures uint64 `json:"audit_trail_failures"`
		Behind   int    `json:"audit_trail_behind"`
		Index    int64  `json:"audit_trail_index"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	entries := len(tr.Entries())
	if res.Trails != 1 || res.Accepted == 0 || res.Accepted != uint64(entries) || res.Failures != 0 || res.Behind != 0 || res.Index != int64(entries-1) {
		t.Fatalf("JSON %+v; the trail holds %d entries", res, entries)
	}

	code, out, stderr = execRun(t, "demo", "--orders", "500", "--trail", srv.URL)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	more := len(tr.Entries()) - entries
	want := fmt.Sprintf("  trail       %d checkpoints accepted, 0 requests failed, the last at entry %d\n", more, len(tr.Entries())-1)
	if more == 0 || !strings.Contains(out, want) {
		t.Fatalf("summary without %q:\n%s", want, out)
	}
}

func TestDemoTrailFlag(t *testing.T) {
	for _, args := range [][]string{
		{"--trail", "trail.example:80"},
		{"--trail", "ftp://trail.example"},
		{"--trail", "http://127.0.0.1:1", "--no-audit"},
	} {
		args = append([]string{"demo", "--orders", "10"}, args...)
		if code, _, stderr := execRun(t, args...); code != exitError || !strings.Contains(stderr, "trail") {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
	}
}
