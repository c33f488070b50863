package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDemoBatchFlags: demo --batch-window D --batch-max N [--batch-signers
// K] signs in batches from N senders and reports batches/s, orders per batch, the added
// latency and bytes per order, in the summary and in JSON; bad values exit
// 2 naming the flag.
func TestDemoBatchFlags(t *testing.T) {
	code, out, stderr := execRun(t, "demo", "--orders", "2000", "--no-audit", "--batch-window", "200us", "--batch-max", "16", "--batch-signers", "2", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if res["senders"] != 16.0 || res["batch_signers"] != 2.0 || res["batches"].(float64) <= 0 || res["leaves_per_batch"].(float64) > 16 ||
		res["batches_per_sec"].(float64) <= 0 || res["added_latency_ns"].(float64) <= 0 || res["bytes_per_order"].(float64) <= 0 {
		t.Fatalf("result %s", out)
	}
	code, out, stderr = execRun(t, "demo", "--orders", "500", "--no-audit", "--batch-window", "100us")
	if code != exitOK || !strings.Contains(out, "orders per batch") || !strings.Contains(out, "from 256 goroutines") || !strings.Contains(out, "bytes per order") {
		t.Fatalf("exit %d: %s%s", code, out, stderr)
	}
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"--batch-window", "-1ms"}, "--batch-window"},
		{[]string{"--batch-window", "2s"}, "--batch-window"},
		{[]string{"--batch-max", "8"}, "--batch-max"},
		{[]string{"--batch-window", "1ms", "--batch-max", "70000"}, "--batch-max"},
		{[]string{"--senders", "-1"}, "--senders"},
		{[]string{"--batch-signers", "2"}, "--batch-signers"},
		{[]string{"--batch-window", "1ms", "--baseline"}, "--baseline"},
	} {
		code, _, stderr := execRun(t, append([]string{"demo", "--orders", "10", "--no-audit"}, tc.args...)...)
		if code != exitError || !strings.Contains(stderr, tc.flag) {
			t.Errorf("%v: exit %d: %s", tc.args, code, stderr)
		}
	}
}
