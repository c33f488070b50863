package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDemoBaseline(t *testing.T) {
	code, out, stderr := execRun(t, "demo", "--orders", "2000", "--json", "--baseline", "--venue-key", "hmac:seed=42")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res struct {
		P99      int64 `json:"p99_ns"`
		Baseline *struct {
			What     string  `json:"what"`
			P50      int64   `json:"p50_ns"`
			P99      int64   `json:"p99_ns"`
			P99Ratio float64 `json:"p99_ratio"`
		} `json:"baseline"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	b := res.Baseline
	if b == nil || b.What == "" || b.P50 <= 0 || b.P99 < b.P50 {
		t.Fatalf("baseline %+v in %s", b, out)
	}
	if want := float64(res.P99) / float64(b.P99); b.P99Ratio != want {
		t.Fatalf("p99 ratio %v, want %v", b.P99Ratio, want)
	}
	code, out, stderr = execRun(t, "demo", "--orders", "500", "--baseline")
	if code != exitOK || !strings.Contains(out, "baseline") || !strings.Contains(out, "ratio") {
		t.Fatalf("exit %d, summary without the baseline:\n%s%s", code, out, stderr)
	}
	if code, out, _ := execRun(t, "demo", "--orders", "500"); code != exitOK || strings.Contains(out, "baseline") {
		t.Fatalf("exit %d, a baseline nobody asked for:\n%s", code, out)
	}
}

func TestDemoVenueKeyBad(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"demo", "--orders", "10", "--venue-key", "hmac:seed=7"}, "is not the signer's key"},
		{[]string{"demo", "--orders", "10", "--venue-key", "nosuch:x=1"}, "--venue-key"},
		{[]string{"demo", "--orders", "10", "--venue-key", "hmac:seed=42", "--venue", "tcp://127.0.0.1:1"}, "a TCP venue has its own"},
	}
	for _, tc := range tests {
		code, _, stderr := execRun(t, tc.args...)
		if code != exitError || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %q", tc.args, code, stderr, tc.want)
		}
	}
}
