package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// TestAuditCheckProofShowsLimits: the order record of a version 3 envelope
// keeps the hash of the limits that approved the order; audit check-proof
// prints it, and with --order-verifier checks the signature that covers it.
func TestAuditCheckProofShowsLimits(t *testing.T) {
	limits := sha256.Sum256([]byte("tinywindow limits v1\n"))
	o := order.Order{ClientOrderID: "c-1", Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Limit,
		Quantity: 10, Price: order.Price{Mantissa: 190}, TimeInForce: order.Day, Timestamp: time.Now().UnixNano()}
	ord, err := o.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	sl, err := venue.NewSealer(hmac.NewFromSeed(7))
	if err != nil {
		t.Fatal(err)
	}
	env, err := sl.SealLimits(context.Background(), ord, limits)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "audit.log")
	w, _, err := audit.Open(path, audit.Options{Signer: hmac.NewFromSeed(42), Durability: audit.Always})
	if err != nil {
		t.Fatal(err)
	}
	w.Append(audit.TypeNote, 1, []byte("n"))
	if err := w.Append(audit.TypeOrder, 2, bytes.Clone(env)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Record 4 is the order: the log's opening records and the note come first.
	code, proof, stderr := execRun(t, "audit", "prove", path, "--record", "4")
	if code != exitOK {
		t.Fatalf("prove: exit %d: %s", code, stderr)
	}
	pf := filepath.Join(t.TempDir(), "4.proof")
	if err := os.WriteFile(pf, []byte(proof), 0o600); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("approved the order under the pre-trade limits of SHA-256 %x", limits)
	for _, tc := range []struct {
		name       string
		args       []string
		code       int
		wantOut    []string
		wantStderr string
	}{
		{"hash shown", nil, exitOK, []string{want}, ""},
		{"signature over it checked", []string{"--order-verifier", "hmac:seed=7"}, exitOK, []string{want, "signature by the order key verifies"}, ""},
		{"another order key", []string{"--order-verifier", "hmac:seed=8"}, exitInvalid, nil, "record 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := execRun(t, append([]string{"audit", "check-proof", pf, "--verifier", "hmac:seed=42"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s%s", code, tc.code, out, stderr)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantStderr, stderr)
			}
		})
	}
}
