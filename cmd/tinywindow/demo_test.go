package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/demo"
	"github.com/tinywindow/tinywindow/providers/composite"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// execRun runs the command in-process and returns its exit status, stdout
// and stderr.
func execRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runMain(context.Background(), &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

func TestDemoJSON(t *testing.T) {
	code, out, stderr := execRun(t, "demo", "--orders", "3000", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, k := range []string{"orders", "accepted", "rejected", "ops_per_sec", "p50_ns", "p99_ns", "p999_ns", "audit_verified"} {
		if _, ok := res[k]; !ok {
			t.Errorf("JSON lacks %s: %s", k, out)
		}
	}
	if res["audit_verified"] != true || res["orders"].(float64) != 3000 || res["rejected"].(float64) == 0 {
		t.Fatalf("result %s", out)
	}
}

// TestDemoTrace: --trace writes an execution trace of the run that go tool
// trace reads (it starts with the runtime's trace header), and the JSON
// carries the audit log's back-pressure counters.
func TestDemoTrace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.trace")
	code, out, stderr := execRun(t, "demo", "--orders", "500", "--json", "--trace", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("go 1.")) || len(b) < 1000 {
		t.Fatalf("trace file of %d bytes starts with %q", len(b), b[:min(len(b), 16)])
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, k := range []string{"audit_back_pressure", "audit_back_pressure_bytes"} {
		if _, ok := res[k]; !ok {
			t.Errorf("JSON lacks %s: %s", k, out)
		}
	}
	if code, _, _ := execRun(t, "demo", "--orders", "10", "--trace", filepath.Join(t.TempDir(), "no", "such", "dir")); code == exitOK {
		t.Fatal("a trace file that cannot be created: exit 0")
	}
}

// TestDemoSummaryAndAuditFile: the demo keeps its audit log and signs its
// checkpoints with a key of their own, an Ed25519 key in a file of mode
// 0600 beside the log, made on the first run and reused on the next, its
// public key in a file beside it; the summary says how to verify the log
// with the public key alone (pem:pub-source=), and the order key does not
// verify it.
func TestDemoSummaryAndAuditFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	uri, err := demo.CheckpointKeyURI(path)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for run, made := range []string{"made by this run", "reused"} {
		code, out, stderr := execRun(t, "demo", "--orders", "500", "--audit", path, "--durability", "always")
		if code != exitOK {
			t.Fatalf("run %d: exit %d: %s", run+1, code, stderr)
		}
		for _, want := range []string{"accepted", "rejected", "p99", "verified", path, "(Ed25519), a key of their own, " + made,
			"verify with: tinywindow audit verify " + path + " --signer '" + uri + "'", "C2SP note verifier key: tinywindow.dev/audit/"} {
			if !strings.Contains(out, want) {
				t.Errorf("run %d: summary lacks %q:\n%s", run+1, want, out)
			}
		}
		_, id, _ := strings.Cut(out, "checkpoints signed by ")
		id, _, _ = strings.Cut(id, " ")
		ids = append(ids, id)
		fi, err := os.Stat(path + demo.CheckpointKeySuffix)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("run %d: checkpoint key file: %v %v", run+1, fi.Mode(), err)
		}
		if pub, err := os.ReadFile(path + demo.CheckpointPublicKeySuffix); err != nil || !strings.HasPrefix(string(pub), "-----BEGIN PUBLIC KEY-----") {
			t.Fatalf("run %d: checkpoint public key file: %q %v", run+1, pub, err)
		}
	}
	if ids[0] != ids[1] || ids[0] == "" {
		t.Fatalf("checkpoint keys of the two runs: %q", ids)
	}
	if code, out, stderr := execRun(t, "audit", "verify", path, "--signer", uri, "--checkpoints", path+".checkpoints"); code != exitOK {
		t.Fatalf("audit verify with the checkpoint key: exit %d: %s%s", code, out, stderr)
	}
	if !strings.Contains(uri, "pem:pub-source=file:") {
		t.Errorf("the auditor's URI %q is not a public key", uri)
	}
	if code, _, stderr := execRun(t, "audit", "verify", path, "--signer", "hmac:seed=42"); code != exitError || !strings.Contains(stderr, "not signed by the given key") {
		t.Fatalf("audit verify with the order key: exit %d: %s", code, stderr)
	}
	// A public key file that does not hold the key's public key is refused.
	other := filepath.Join(t.TempDir(), "other.log")
	if code, _, stderr := execRun(t, "demo", "--orders", "10", "--audit", other); code != exitOK {
		t.Fatalf("another log: exit %d: %s", code, stderr)
	}
	pub, _ := os.ReadFile(other + demo.CheckpointPublicKeySuffix)
	os.WriteFile(path+demo.CheckpointPublicKeySuffix, pub, 0o644)
	if code, _, stderr := execRun(t, "demo", "--orders", "10", "--audit", path); code != exitError || !strings.Contains(stderr, "does not hold the public key") {
		t.Fatalf("a checkpoint public key file of another key: exit %d: %s", code, stderr)
	}
}

// TestDemoRefusesSharedCheckpointKey: --checkpoint-signer naming the order
// key, by any URI, is refused before the log is written, unless
// --allow-shared-checkpoint-key; that flag alone has the order key sign
// the checkpoints, and the summary says what that costs.
func TestDemoRefusesSharedCheckpointKey(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TW_DEMO_HEX", key42)
	tests := []struct {
		name   string
		args   []string
		code   int
		want   string
		verify string // the key that then verifies the log
	}{
		{"same URI", []string{"--checkpoint-signer", "hmac:seed=42"}, exitError, "--allow-shared-checkpoint-key", ""},
		{"same key, other URI", []string{"--checkpoint-signer", "hmac:key-source=env:TW_DEMO_HEX"}, exitError, "also the order key", ""},
		{"same URI, allowed", []string{"--checkpoint-signer", "hmac:seed=42", "--allow-shared-checkpoint-key"}, exitOK, "the order key (--allow-shared-checkpoint-key)", "hmac:seed=42"},
		{"allowed alone", []string{"--allow-shared-checkpoint-key"}, exitOK, "the order key (--allow-shared-checkpoint-key)", "hmac:seed=42"},
		{"a key of its own", []string{"--checkpoint-signer", "hmac:seed=7"}, exitOK, "(HMAC-SHA256, hmac backend)", "hmac:seed=7"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("%d.log", i))
			code, out, stderr := execRun(t, append([]string{"demo", "--orders", "50", "--audit", path}, tc.args...)...)
			if code != tc.code || !strings.Contains(out+stderr, tc.want) {
				t.Fatalf("exit %d, want %d naming %q: %s%s", code, tc.code, tc.want, out, stderr)
			}
			if tc.code != exitOK {
				if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("the refused run wrote the log: %v", err)
				}
				return
			}
			if code, _, stderr := execRun(t, "audit", "verify", path, "--signer", tc.verify); code != exitOK {
				t.Fatalf("audit verify --signer %s: exit %d: %s", tc.verify, code, stderr)
			}
		})
	}
}

// TestDemoAuditLogRefused: the demo refuses an audit log that another
// writer holds, naming the holder, and one in a directory others can write,
// saying chmod; the held log is left as it was.
func TestDemoAuditLogRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	os.Mkdir(dir, 0o700)
	path := filepath.Join(dir, "audit.log")
	holder, _, err := audit.Open(path, audit.Options{Signer: hmac.NewFromSeed(42)})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	code, _, stderr := execRun(t, "demo", "--orders", "10", "--audit", path)
	if want := fmt.Sprintf("held by process %d", os.Getpid()); code != exitError || !strings.Contains(stderr, want) {
		t.Errorf("demo on a held log: exit %d, stderr %q; want 2 and %q", code, stderr, want)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Error("the refused demo changed the held log")
	}
	holder.Close()
	os.Chmod(dir, 0o777)
	code, _, stderr = execRun(t, "demo", "--orders", "10", "--audit", path)
	if code != exitError || !strings.Contains(stderr, "chmod go-w "+dir) {
		t.Errorf("demo with its log in a directory of mode 0777: exit %d, stderr %q; want 2 saying chmod", code, stderr)
	}
}

// TestDemoReportsRecovery: a demo that reopens a log with a torn tail says
// what it cut.
func TestDemoReportsRecovery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	if code, _, stderr := execRun(t, "demo", "--orders", "20", "--audit", path); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0, 0, 1}) // the start of a length field: a torn tail
	f.Close()
	code, out, stderr := execRun(t, "demo", "--orders", "20", "--audit", path)
	if code != exitOK || !strings.Contains(out, "recovered") || !strings.Contains(out, "cut a torn tail of 1 incomplete record (3 bytes") {
		t.Fatalf("exit %d, summary:\n%s\n%s\nwant the torn tail reported", code, out, stderr)
	}
}

func TestDemoBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"demo", "--orders", "0"}, "--orders"},
		{[]string{"demo", "--signer", "nosuch:x=1"}, "unknown scheme"},
		{[]string{"demo", "--durability", "sometimes"}, "durability"},
		{[]string{"demo", "--venue", "http://x"}, "tcp://HOST:PORT"},
		{[]string{"demo", "--limits", "/nonexistent.yaml"}, "--limits"},
		{[]string{"demo", "--audit", "/nonexistent/dir/audit.log", "--orders", "1"}, "audit"},
		{[]string{"demo", "extra"}, "unexpected argument"},
	}
	for _, tc := range tests {
		code, _, stderr := execRun(t, tc.args...)
		if code != exitError || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %q", tc.args, code, stderr, tc.want)
		}
	}
}

// TestAuditVerifyFromPublicKey: a log whose checkpoints are signed by an
// ML-DSA or a composite key verifies from the key's public key alone
// (pub-source), as the auditor holds it; with another key's public key it
// does not.
func TestAuditVerifyFromPublicKey(t *testing.T) {
	t.Setenv("TINYWINDOW_SIGNER", "")
	dir := t.TempDir()
	pq := "pqc:alg=ML-DSA-65;seed-source=file:" + writeSeed(t, 32, 21)
	tests := []struct {
		name, key, pubScheme string
	}{
		{"ML-DSA-65", pq, "pqc"},
		{"composite", composite.URI(composite.MLDSA65ECDSAP256SHA512, pq, "ectest:seed=checkpoints"), "composite"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("%d.log", i))
			if code, _, stderr := run(t, "", "demo", "--orders", "50", "--audit", path, "--checkpoint-signer", tc.key); code != exitOK {
				t.Fatalf("demo: exit %d: %s", code, stderr)
			}
			code, pub, stderr := run(t, "", "pubkey", "--signer", tc.key)
			if code != exitOK {
				t.Fatalf("pubkey: exit %d: %s", code, stderr)
			}
			pubFile := filepath.Join(dir, fmt.Sprintf("%d.pub.pem", i))
			os.WriteFile(pubFile, []byte(pub), 0o644)
			verifier := tc.pubScheme + ":pub-source=file:" + pubFile
			if code, out, stderr := run(t, "", "audit", "verify", path, "--signer", verifier, "--checkpoints", path+".checkpoints"); code != exitOK || !strings.Contains(out, "intact") {
				t.Fatalf("audit verify --signer %s: exit %d: %s%s", verifier, code, out, stderr)
			}
			if code, _, _ := run(t, "", "audit", "verify", path, "--signer", "hmac:seed=4242"); code == exitOK {
				t.Fatal("another key verifies the log")
			}
		})
	}
}
