package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTrailProveEndToEnd: demo --trail forwards a real audit log's
// checkpoints to trail serve; audit export writes the log as tlog-tiles;
// trail prove builds, from the export and the trail, the proof that a
// record is in the trail, under 4 KB with Ed25519 keys; and trail
// check-proof checks it offline with the two public keys alone. A changed
// byte, the wrong key for the trail or for the log, and a record the trail
// does not cover yet are refused.
func TestTrailProveEndToEnd(t *testing.T) {
	t.Setenv("TINYWINDOW_SIGNER", "")
	dir := t.TempDir()
	log := filepath.Join(dir, "orders.log")
	// A first run makes the log, its origin and its checkpoint key.
	if code, out, stderr := run(t, "", "demo", "--orders", "50", "--audit", log); code != exitOK {
		t.Fatalf("demo: exit %d\n%s%s", code, out, stderr)
	}
	cps, err := os.ReadFile(log + ".checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	origin, _, _ := strings.Cut(string(cps), "\n")
	logPub := "pem:pub-source=file:" + log + ".checkpoint-key.pub.pem"

	trailKey := writeEd25519Key(t, dir, "trail.pem")
	code, pub, stderr := run(t, "", "pubkey", "--signer", "pem:key-source=file:"+trailKey)
	if code != exitOK {
		t.Fatalf("pubkey: exit %d: %s", code, stderr)
	}
	trailPub := filepath.Join(dir, "trail.pub.pem")
	if err := os.WriteFile(trailPub, []byte(pub), 0o644); err != nil {
		t.Fatal(err)
	}
	u, _ := startTrailServe(t, "--storage", "posix:"+filepath.Join(dir, "trail"), "--listen", "127.0.0.1:0",
		"--signer", "pem:key-source=file:"+trailKey, "--origin", "trail.test/firm", "--log", origin+"="+logPub)

	// The second run appends to the log and forwards its checkpoints;
	// closing the log waits for the trail to accept the last one.
	if code, out, stderr := run(t, "", "demo", "--orders", "2000", "--audit", log, "--trail", u, "--json"); code != exitOK ||
		!strings.Contains(out, `"audit_trail_behind":0,`) {
		t.Fatalf("demo --trail: exit %d\n%s%s", code, out, stderr)
	}
	export := filepath.Join(dir, "tiles")
	if code, out, stderr := run(t, "", "audit", "export", log, "--to", export); code != exitOK {
		t.Fatalf("audit export: exit %d\n%s%s", code, out, stderr)
	}

	// The trail publishes its checkpoint within its interval: until then
	// trail prove says to try again.
	var proof string
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		code, out, stderr := run(t, "", "trail", "prove", "--trail", u, "--export", export, "--origin", origin, "--record", "7")
		if code == exitOK {
			proof = out
			break
		}
		if !strings.Contains(stderr, "try again") || time.Now().After(deadline) {
			t.Fatalf("trail prove: exit %d: %s", code, stderr)
		}
	}
	if len(proof) >= 4096 {
		t.Errorf("the proof is %d bytes; want under 4 KB with Ed25519 keys", len(proof))
	}
	t.Logf("a proof from record 7 to the trail: %d bytes", len(proof))
	file := filepath.Join(dir, "7.trail-proof")
	if err := os.WriteFile(file, []byte(proof), 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(file, verifier, trailVerifier string) (int, string) {
		t.Helper()
		code, out, stderr := run(t, "", "trail", "check-proof", file, "--verifier", verifier, "--trail-verifier", trailVerifier)
		return code, out + stderr
	}
	code, out := check(file, logPub, "pem:pub-source=file:"+trailPub)
	if code != exitOK || !strings.Contains(out, "record 7 ") || !strings.Contains(out, "of trail trail.test/firm") {
		t.Fatalf("trail check-proof: exit %d: %s", code, out)
	}

	// A byte of the record changed (inside its base64 line).
	i := strings.Index(proof, "\nrecord 7\n") + len("\nrecord 7\n") + 12
	changed := []byte(proof)
	changed[i] ^= 'A' ^ 'B'
	if changed[i] == proof[i] {
		t.Fatal("the change changed nothing")
	}
	bad := filepath.Join(dir, "changed.trail-proof")
	if err := os.WriteFile(bad, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file, verifier, trailVerifier string
	}{
		{"a changed record", bad, logPub, "pem:pub-source=file:" + trailPub},
		{"the log's key as the trail's", file, logPub, logPub},
		{"the trail's key as the log's", file, "pem:pub-source=file:" + trailPub, "pem:pub-source=file:" + trailPub},
	} {
		if code, out := check(tc.file, tc.verifier, tc.trailVerifier); code != exitInvalid {
			t.Errorf("%s: exit %d, want %d: %s", tc.name, code, exitInvalid, out)
		}
	}

	// A record past the trail's last accepted checkpoint of the log.
	if code, _, stderr := run(t, "", "trail", "prove", "--trail", u, "--export", export, "--origin", origin, "--record", "999999"); code != exitError ||
		!strings.Contains(stderr, "not covered") {
		t.Errorf("trail prove of a record the trail does not cover: exit %d: %s", code, stderr)
	}
	if !bytes.HasPrefix([]byte(proof), []byte("tinywindow trail proof v1\n")) {
		t.Errorf("the proof starts %q", proof[:40])
	}
}
