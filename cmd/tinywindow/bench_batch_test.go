package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// TestBenchBatch: bench refuses batch flags out of range or without
// --batch-window, saying which flag; with --batch-window it sends orders
// one by one and batch-signed, and reports batches (--json and the table)
// with at least one order each and at most --batch-max, from --senders
// goroutines (default --batch-max), for an HMAC key and an Ed25519 key.
func TestBenchBatch(t *testing.T) {
	t.Setenv("TINYWINDOW_SIGNER", "")
	ed25519 := filepath.Join(t.TempDir(), "ed25519.pem")
	if code, _, errOut := run(t, "", "keygen", "--alg", "Ed25519", "--out", ed25519); code != exitOK {
		t.Fatalf("keygen: exit %d: %s", code, errOut)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		want    string // in stderr when refused; "" to run
		senders int
	}{
		{"negative window", []string{"--batch-window", "-1ms"}, "--batch-window -1ms: must be 0 to 1s", 0},
		{"window over 1s", []string{"--batch-window", "2s"}, "--batch-window 2s", 0},
		{"max without a window", []string{"--batch-max", "8"}, "--batch-max 8: give 1 to 65536, with --batch-window", 0},
		{"max over the limit", []string{"--batch-window", "1ms", "--batch-max", "65537"}, "--batch-max 65537", 0},
		{"negative max", []string{"--batch-window", "1ms", "--batch-max", "-1"}, "--batch-max -1", 0},
		{"senders without a window", []string{"--senders", "4"}, "--senders 4: give 1 to 4096, with --batch-window", 0},
		{"too many senders", []string{"--batch-window", "1ms", "--senders", "4097"}, "--senders 4097", 0},
		{"signers without a window", []string{"--batch-signers", "2"}, "--batch-signers 2: give 1 to 64, with --batch-window", 0},
		{"too many signers", []string{"--batch-window", "1ms", "--batch-signers", "65"}, "--batch-signers 65", 0},
		{"default senders", []string{"--batch-window", "50us", "--batch-max", "16"}, "", 16},
		{"two signers", []string{"--batch-window", "50us", "--batch-max", "8", "--batch-signers", "2"}, "", 8},
		{"more senders than the max", []string{"--batch-window", "50us", "--batch-max", "4", "--senders", "32"}, "", 32},
		{"Ed25519", []string{"--batch-window", "50us", "--batch-max", "8"}, "", 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			uri, alg := signer, "HMAC-SHA256"
			if tc.name == "Ed25519" {
				uri, alg = "pem:key-source=file:"+ed25519, "Ed25519"
			}
			args := append([]string{"bench", "--signer", uri, "--duration", "50ms", "--json"}, tc.args...)
			code, out, errOut := run(t, "", args...)
			if tc.want != "" {
				if code != exitError || !strings.Contains(errOut, tc.want) {
					t.Fatalf("exit %d, stderr %q; want exit %d saying %q", code, errOut, exitError, tc.want)
				}
				return
			}
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var rep benchReport
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("bench --json printed %q: %v", out, err)
			}
			if rep.Algorithm != alg {
				t.Fatalf("bench measured a key of %s, want %s", rep.Algorithm, alg)
			}
			b := rep.Batch
			wantSigners := 1
			if tc.name == "two signers" {
				wantSigners = 2
			}
			if b == nil || b.Batches == 0 || b.LeavesPerBatch < 1 || b.BatchesPerSec <= 0 || b.Senders != tc.senders || b.Signers != wantSigners ||
				b.LeavesPerBatch > float64(b.Max) || b.AddedLatency <= 0 || b.BytesPerOrder <= 0 || b.PerOrderBytes <= 0 {
				t.Fatalf("batch: %+v", b)
			}
			if len(rep.Results) != 4 || rep.Results[2].Op != "order" || rep.Results[3].Op != "batch" ||
				rep.Results[3].Ops == 0 || b.AddedP50 != rep.Results[3].P50-rep.Results[2].P50 {
				t.Fatalf("results: %+v", rep.Results)
			}
		})
	}
	code, out, errOut := run(t, "", "bench", "--signer", signer, "--duration", "50ms", "--batch-window", "50us")
	if code != exitOK || !strings.Contains(out, "\nbatch ") || !strings.Contains(out, "orders per batch") || !strings.Contains(out, "bytes on the wire per order") {
		t.Fatalf("bench --batch-window: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// forger is a key whose signatures its own verifier refuses: a venue that
// verifies with it rejects every order.
type forger struct{ provider.Key }

func (forger) Verify(context.Context, []byte, []byte) error { return provider.ErrInvalidSignature }

// TestBenchOrdersRejected: an order the venue does not accept ends
// benchOrders with an error that names the row and says why.
func TestBenchOrdersRejected(t *testing.T) {
	key := forger{hmac.NewFromSeed(42)}
	_, _, err := benchOrders(t.Context(), key, 2, 10*time.Millisecond, batchFlags{window: 50 * time.Microsecond, max: 8, senders: 4})
	if err == nil || !strings.HasPrefix(err.Error(), "order: ") || !strings.Contains(err.Error(), "invalid signature") {
		t.Fatalf("benchOrders with a venue that rejects every order: %v", err)
	}
}
