package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestAuditProveBatchOrder: the audit log of a batch-signed run holds each
// batch's signature once; audit prove of a batch-signed order gives the
// order's proof and its batch record's, and audit check-proof checks both
// offline, and with --order-verifier the batch signature too, with the
// public keys alone; a proof that lacks its batch's record, holds another
// record in its place, or is checked against another order key, is refused
// (exit 1).
func TestAuditProveBatchOrder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	if code, _, stderr := execRun(t, "demo", "--orders", "300", "--audit", path, "--batch-window", "200us", "--batch-max", "16", "--allow-shared-checkpoint-key"); code != exitOK {
		t.Fatalf("demo: %s", stderr)
	}
	const header = "tinywindow audit proof v1\n"
	var proof, notBatch string
	for n := 2; n < 60 && (proof == "" || notBatch == ""); n++ {
		code, out, stderr := execRun(t, "audit", "prove", path, "--record", strconv.Itoa(n))
		if code != exitOK {
			t.Fatalf("prove %d: %s", n, stderr)
		}
		switch strings.Count(out, header) {
		case 2:
			if proof == "" {
				proof = out
			}
		case 1:
			if notBatch == "" {
				notBatch = out
			}
		}
	}
	if proof == "" || notBatch == "" {
		t.Fatal("no batch-signed order, or no other record, among the first records")
	}
	second := strings.Index(proof[1:], header) + 1
	write := func(name, s string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, tc := range []struct {
		name  string
		proof string
		args  []string
		code  int
		want  string
	}{
		{"as proved", proof, nil, exitOK, "its signature was not checked"},
		{"as proved, with the order key", proof, []string{"--order-verifier", "hmac:seed=42"}, exitOK, "signature by the order key verifies"},
		{"another order key", proof, []string{"--order-verifier", "hmac:seed=43"}, exitInvalid, ""},
		{"without its batch's record", proof[:second], nil, exitInvalid, ""},
		{"another record in place of its batch's", proof[:second] + notBatch, nil, exitInvalid, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := write(strings.ReplaceAll(tc.name, " ", "-"), tc.proof)
			code, out, stderr := execRun(t, append([]string{"audit", "check-proof", f, "--verifier", "hmac:seed=42"}, tc.args...)...)
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, want %d: %s%s", code, tc.code, out, stderr)
			}
		})
	}
}
