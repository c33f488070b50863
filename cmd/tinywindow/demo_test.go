package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/execadapter/audit"
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

func TestDemoSummaryAndAuditFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	code, out, stderr := execRun(t, "demo", "--orders", "500", "--audit", path, "--durability", "always")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"accepted", "rejected", "p99", "verified", path} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if code, _, stderr := execRun(t, "audit", "verify", path, "--signer", "hmac:seed=42"); code != exitOK {
		t.Fatalf("audit verify: exit %d: %s", code, stderr)
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
