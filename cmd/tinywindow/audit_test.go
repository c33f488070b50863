package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAuditVerify(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	if code, _, stderr := execRun(t, "demo", "--orders", "200", "--audit", path); code != exitOK {
		t.Fatalf("demo: %s", stderr)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ := execRun(t, "audit", "verify", path, "--signer", "hmac:seed=42")
	if code != exitOK || !strings.Contains(out, "intact") {
		t.Fatalf("intact log: exit %d: %s", code, out)
	}
	// Flags may come first too.
	if code, _, _ := execRun(t, "audit", "verify", "--signer", "hmac:seed=42", path); code != exitOK {
		t.Fatalf("flags first: exit %d", code)
	}

	bad := append([]byte(nil), good...)
	bad[len(bad)/2] ^= 0x04
	tampered := filepath.Join(dir, "tampered.log")
	os.WriteFile(tampered, bad, 0o600)
	code, _, stderr := execRun(t, "audit", "verify", tampered, "--signer", "hmac:seed=42")
	if code != exitInvalid || !strings.Contains(stderr, "record ") {
		t.Fatalf("tampered log: exit %d: %s", code, stderr)
	}
	cut := filepath.Join(dir, "cut.log")
	os.WriteFile(cut, good[:len(good)-100], 0o600)
	if code, _, stderr := execRun(t, "audit", "verify", cut, "--signer", "hmac:seed=42"); code != exitInvalid {
		t.Fatalf("cut log: exit %d: %s", code, stderr)
	}

	t.Setenv("TINYWINDOW_SIGNER", "")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"audit", "verify", filepath.Join(dir, "missing.log"), "--signer", "hmac:seed=42"}, "no such file"},
		{[]string{"audit", "verify", path, "--signer", "hmac:seed=7"}, "not signed by the given key"},
		{[]string{"audit", "verify", path}, "--signer"},
		{[]string{"audit", "verify", "--signer", "hmac:seed=42"}, "exactly one FILE"},
		{[]string{"audit", "verify", path, path, "--signer", "hmac:seed=42"}, "exactly one FILE"},
		{[]string{"audit", "check", path}, "usage"},
		{[]string{"audit"}, "usage"},
	}
	for _, tc := range tests {
		code, _, stderr := execRun(t, tc.args...)
		if code != exitError || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %q", tc.args, code, stderr, tc.want)
		}
	}
}
