package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// run runs the command in-process and returns its exit status and output.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runMain(context.Background(), &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

const (
	key42  = "7848b5d711bc9883996317a3f9c90269d56771005d540a19184939c9e8d0db2a"
	hello  = "hello deterministic world"
	tag42  = "1666c07b7d59d0acf5ee5097dd8958ffcdcdbcd336d4205e47ee8a23344db8ff"
	signer = "hmac:seed=42"
)

func TestKeygenSignVerify(t *testing.T) {
	t.Setenv("TINYWINDOW_SIGNER", "")
	if code, out, _ := run(t, "", "keygen", "--seed", "42"); code != 0 || out != key42+"\n" {
		t.Fatalf("keygen --seed 42: %d %q", code, out)
	}
	if code, out, _ := run(t, hello, "sign", "--signer", signer); code != 0 || out != tag42+"\n" {
		t.Fatalf("sign: %d %q", code, out)
	}
	if code, _, _ := run(t, hello, "verify", "--signer", signer, "--sig", tag42); code != exitOK {
		t.Fatalf("verify of a good tag: exit %d", code)
	}
	bad := "0" + tag42[1:]
	if code, _, errOut := run(t, hello, "verify", "--signer", signer, "--sig", bad); code != exitInvalid || !strings.Contains(errOut, "invalid signature") {
		t.Fatalf("verify of a bad tag: exit %d, %q", code, errOut)
	}
	in := filepath.Join(t.TempDir(), "msg")
	os.WriteFile(in, []byte(hello), 0o644)
	if code, out, _ := run(t, "", "sign", "--signer", signer, "--in", in); code != 0 || out != tag42+"\n" {
		t.Fatalf("sign --in: %d %q", code, out)
	}
	// The signer may come from the environment or a config file.
	t.Setenv("TINYWINDOW_SIGNER", signer)
	if code, out, _ := run(t, hello, "sign"); code != 0 || out != tag42+"\n" {
		t.Fatalf("sign with TINYWINDOW_SIGNER: %d %q", code, out)
	}
	t.Setenv("TINYWINDOW_SIGNER", "")
	cfg := filepath.Join(t.TempDir(), "tw.yaml")
	os.WriteFile(cfg, []byte("signer: hmac:seed=42\n"), 0o644)
	if code, out, _ := run(t, hello, "sign", "--config", cfg); code != 0 || out != tag42+"\n" {
		t.Fatalf("sign --config: %d %q", code, out)
	}
}

func TestBadInput(t *testing.T) {
	t.Setenv("TINYWINDOW_SIGNER", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"nosuch"}, "unknown subcommand"},
		{[]string{"keygen"}, "give --seed N"},
		{[]string{"keygen", "--seed", ""}, "empty seed"},
		{[]string{"keygen", "--seed", "-1"}, "not a decimal integer"},
		{[]string{"keygen", "--seed", "18446744073709551616"}, "out of range"},
		{[]string{"keygen", "--seed", "1", "--alg", "HMAC-SHA256"}, "takes no other flag"},
		{[]string{"keygen", "--alg", "NOPE", "--out", "/nonexistent/x"}, "unknown algorithm"},
		{[]string{"keygen", "--alg", "NOPE", "--signer", "hmac:key-source=file:/tmp/x"}, "unknown algorithm"},
		{[]string{"sign"}, "no signer"},
		{[]string{"sign", "--signer", "hmac:seed=42", "extra"}, "unexpected argument"},
		{[]string{"sign", "--signer", "nosuch:a=b"}, "unknown scheme"},
		{[]string{"sign", "--signer", "hmac"}, "no scheme"},
		{[]string{"sign", "--signer", "hmac:key-source=env:TW_UNSET_VAR_X"}, "is not set"},
		{[]string{"sign", "--signer", "hmac:seed=42", "--in", "/nonexistent"}, "no such file"},
		{[]string{"sign", "--config", "/nonexistent.yaml"}, "config file"},
		{[]string{"verify", "--signer", "hmac:seed=42"}, "empty signature"},
		{[]string{"verify", "--signer", "hmac:seed=42", "--sig", "xyz1"}, "not hex"},
		{[]string{"verify", "--signer", "hmac:seed=42", "--sig", "abc"}, "odd number"},
		{[]string{"pubkey", "--signer", "hmac:seed=42"}, "has no public key"},
		{[]string{"bench", "--signer", "hmac:seed=42", "--size", "-1"}, "--size"},
		{[]string{"bench", "--signer", "hmac:seed=42", "--concurrency", "0"}, "--concurrency"},
		{[]string{"bench", "--signer", "hmac:seed=42", "--duration", "0s"}, "--duration"},
		{[]string{"conformance"}, "no signer"},
		{[]string{"sign", "--bogus"}, "flag provided but not defined"},
	} {
		code, _, errOut := run(t, "msg", tc.args...)
		if code != exitError {
			t.Errorf("%v: exit %d, want %d", tc.args, code, exitError)
		}
		if !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: stderr %q does not say %q", tc.args, errOut, tc.want)
		}
	}
}

func TestOversizedInput(t *testing.T) {
	big := strings.NewReader(strings.Repeat("x", maxInput+1))
	var out, errOut bytes.Buffer
	code := runMain(context.Background(), &env{stdin: big, stdout: &out, stderr: &errOut}, []string{"sign", "--signer", signer})
	if code != exitError || !strings.Contains(errOut.String(), "limit") {
		t.Fatalf("oversized stdin: exit %d, %q", code, errOut.String())
	}
}

func TestBenchJSON(t *testing.T) {
	code, out, errOut := run(t, "", "bench", "--signer", signer, "--duration", "50ms", "--concurrency", "2", "--json")
	if code != 0 {
		t.Fatalf("bench: exit %d: %s", code, errOut)
	}
	var rep struct {
		Signer, Algorithm string
		Size, Concurrency int
		Results           []struct {
			Op        string
			OpsPerSec float64 `json:"ops_per_sec"`
			P50ns     int64   `json:"p50_ns"`
			P99ns     int64   `json:"p99_ns"`
			P999ns    int64   `json:"p999_ns"`
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("bench --json printed %q: %v", out, err)
	}
	if rep.Signer != signer || rep.Algorithm != "HMAC-SHA256" || rep.Size != 64 || rep.Concurrency != 2 || len(rep.Results) != 2 {
		t.Fatalf("bench --json: %+v", rep)
	}
	for i, op := range []string{"sign", "verify"} {
		r := rep.Results[i]
		if r.Op != op || r.OpsPerSec <= 0 || r.P50ns <= 0 || r.P99ns < r.P50ns || r.P999ns < r.P99ns {
			t.Errorf("result %d: %+v", i, r)
		}
	}
}

func TestConformanceReports(t *testing.T) {
	dir := t.TempDir()
	js, md := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.md")
	code, out, errOut := run(t, "", "conformance", "--signer", signer, "--other", "hmac:seed=1", "--report", js, "--markdown", md)
	if code != 0 {
		t.Fatalf("conformance: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "0 failed") || !strings.Contains(out, "signer hmac:seed=REDACTED, verify mode local") {
		t.Errorf("summary: %s", out)
	}
	var rep struct {
		Backend    string `json:"backend"`
		Signer     string `json:"signer"`
		VerifyMode string `json:"verify_mode"`
		Build      struct {
			Path           string `json:"path"`
			RevisionSource string `json:"revision_source"`
		} `json:"build"`
		Duration int64 `json:"duration_ns"`
		Findings []struct {
			Level string `json:"level"`
		} `json:"findings"`
	}
	data, _ := os.ReadFile(js)
	if err := json.Unmarshal(data, &rep); err != nil || rep.Backend != "hmac" {
		t.Errorf("JSON report: %+v %v", rep, err)
	}
	if rep.Signer != "hmac:seed=REDACTED" || rep.VerifyMode != "local" || rep.Duration <= 0 || rep.Build.RevisionSource == "" {
		t.Errorf("JSON provenance: %+v", rep)
	}
	// hmac:seed=42 is public and a MAC: two warnings, which leave the exit status 0.
	if len(rep.Findings) != 2 || rep.Findings[0].Level != "warn" || !strings.Contains(out, "WARN: the key is made from a public seed") {
		t.Errorf("findings %+v; output:\n%s", rep.Findings, out)
	}
	if bytes.Contains(data, []byte("seed=42")) {
		t.Errorf("the JSON report holds the seed: %s", data)
	}
	if data, _ := os.ReadFile(md); !bytes.Contains(data, []byte("conformance report")) || !bytes.Contains(data, []byte("## Provenance")) {
		t.Errorf("Markdown report: %s", data)
	}
	// Options from the config file are part of the signer the report names.
	cfg := filepath.Join(dir, "tw.yaml")
	os.WriteFile(cfg, []byte("signer: 'pem:key-source=file:"+filepath.Join(dir, "k.pem")+"'\nbackends:\n  pem:\n    alg: Ed25519\n"), 0o644)
	if code, _, errOut := run(t, "", "keygen", "--alg", "Ed25519", "--out", filepath.Join(dir, "k.pem")); code != 0 {
		t.Fatal(errOut)
	}
	t.Setenv("TINYWINDOW_SIGNER", "")
	if code, _, errOut := run(t, "", "conformance", "--config", cfg, "--report", js); code != 0 {
		t.Fatalf("conformance --config: %s", errOut)
	}
	data, _ = os.ReadFile(js)
	json.Unmarshal(data, &rep)
	if want := "pem:key-source=file:" + filepath.Join(dir, "k.pem") + "?alg=Ed25519"; rep.Signer != want {
		t.Errorf("signer from the config file: %q, want %q", rep.Signer, want)
	}
}

// TestConformanceBuildRevision builds the command as `make build` does, with
// the commit set at link time (these machines build with -buildvcs=false),
// and checks that its report names that commit.
func TestConformanceBuildRevision(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not in a git work tree: %v", err)
	}
	rev := strings.TrimSpace(string(head))
	bin := filepath.Join(t.TempDir(), "tinywindow")
	build := exec.Command("go", "build", "-buildvcs=false", "-ldflags", "-X github.com/tinywindow/tinywindow/conformance.revision="+rev, "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	js := filepath.Join(t.TempDir(), "r.json")
	if out, err := exec.Command(bin, "conformance", "--signer", "hmac:seed=42", "--report", js, "--goroutines", "2", "--ops", "1").CombinedOutput(); err != nil {
		t.Fatalf("conformance: %v\n%s", err, out)
	}
	var rep struct {
		Build struct {
			Path           string `json:"path"`
			Revision       string `json:"revision"`
			RevisionSource string `json:"revision_source"`
		} `json:"build"`
	}
	data, _ := os.ReadFile(js)
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Build.Revision != rev || rep.Build.RevisionSource != "ldflags" || rep.Build.Path != "github.com/tinywindow/tinywindow/cmd/tinywindow" {
		t.Fatalf("build %+v, want revision %s from ldflags", rep.Build, rev)
	}
}

func TestProviders(t *testing.T) {
	code, out, _ := run(t, "", "providers")
	if code != 0 || !strings.Contains(out, "hmac") || !strings.Contains(out, "HMAC-SHA256") {
		t.Fatalf("providers: %d %q", code, out)
	}
}

func TestKeygenFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "k")
	code, id, errOut := run(t, "", "keygen", "--alg", "HMAC-SHA256", "--out", out)
	if code != 0 || !strings.HasPrefix(id, "hmac-") {
		t.Fatalf("keygen --out: %d %q %s", code, id, errOut)
	}
	code, sig, _ := run(t, "m", "sign", "--signer", "hmac:key-source=file:"+out)
	if code != 0 || len(strings.TrimSpace(sig)) != 64 {
		t.Fatalf("sign with the new key: %d %q", code, sig)
	}
}

// TestProcessExitCodes runs the built binary, to check real exit statuses.
func TestProcessExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "tinywindow")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		args []string
		in   string
		code int
	}{
		{[]string{"keygen", "--seed", "42"}, "", 0},
		{[]string{"verify", "--signer", signer, "--sig", tag42}, hello, 0},
		{[]string{"verify", "--signer", signer, "--sig", tag42}, hello + "!", 1},
		{[]string{"verify", "--signer", signer, "--sig", "zz"}, hello, 2},
		{[]string{"sign", "--signer", "bad"}, "", 2},
	} {
		cmd := exec.Command(bin, tc.args...)
		cmd.Stdin = strings.NewReader(tc.in)
		cmd.Env = append(os.Environ(), "TINYWINDOW_SIGNER=")
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code {
			t.Errorf("tinywindow %v: exit %d, want %d", tc.args, code, tc.code)
		}
	}
}
