package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/trail/s3export"
)

func TestAuditVerify(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	if code, _, stderr := execRun(t, "demo", "--orders", "200", "--audit", path, "--allow-shared-checkpoint-key"); code != exitOK {
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

// TestAuditCheckpointsProve runs verify against the checkpoints file and an
// earlier checkpoint, and proves a record and checks the proof offline.
func TestAuditCheckpointsProve(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	if code, _, stderr := execRun(t, "demo", "--orders", "300", "--audit", path, "--allow-shared-checkpoint-key"); code != exitOK {
		t.Fatalf("demo: %s", stderr)
	}
	other := filepath.Join(dir, "other.log")
	if code, _, stderr := execRun(t, "demo", "--orders", "10", "--audit", other, "--allow-shared-checkpoint-key"); code != exitOK {
		t.Fatalf("demo: %s", stderr)
	}
	ck := path + ".checkpoints"
	if code, out, stderr := execRun(t, "audit", "verify", path, "--signer", "hmac:seed=42", "--checkpoints", ck); code != exitOK || !strings.Contains(out, "extends all") {
		t.Fatalf("with its checkpoints: exit %d: %s%s", code, out, stderr)
	}
	notes, err := os.ReadFile(ck)
	if err != nil {
		t.Fatal(err)
	}
	first := filepath.Join(dir, "first.checkpoint")
	os.WriteFile(first, notes[:strings.Index(string(notes), "\n\n")+strings.Index(string(notes[strings.Index(string(notes), "\n\n")+2:]), "\n\n")+3], 0o600)
	if code, out, stderr := execRun(t, "audit", "verify", path, "--signer", "hmac:seed=42", "--since", first); code != exitOK {
		t.Fatalf("--since its first checkpoint: exit %d: %s%s", code, out, stderr)
	}
	if code, _, stderr := execRun(t, "audit", "verify", path, "--signer", "hmac:seed=42", "--checkpoints", other+".checkpoints"); code != exitInvalid || !strings.Contains(stderr, "another log") && !strings.Contains(stderr, "of log") {
		t.Fatalf("checkpoints of another log: exit %d: %s", code, stderr)
	}
	// Cut the log at the start of its last order record: the log alone
	// may look complete, its checkpoints file says otherwise.
	good, _ := os.ReadFile(path)
	idx, _ := os.ReadFile(path + ".idx")
	n := len(idx) / 8
	off := int(binary.BigEndian.Uint64(idx[(n/2)*8:]))
	cut := filepath.Join(dir, "cut.log")
	os.WriteFile(cut, good[:off], 0o600)
	if code, _, stderr := execRun(t, "audit", "verify", cut, "--signer", "hmac:seed=42", "--checkpoints", ck); code != exitInvalid || !strings.Contains(stderr, "cut off") {
		t.Fatalf("cut log with its checkpoints: exit %d: %s", code, stderr)
	}
	if code, _, stderr := execRun(t, "audit", "verify", path, "--signer", "hmac:seed=42", "--witness", "w+01020304+AAAA"); code != exitError || !strings.Contains(stderr, "--checkpoints") {
		t.Fatalf("--witness alone: exit %d: %s", code, stderr)
	}

	code, proof, stderr := execRun(t, "audit", "prove", path, "--record", "5")
	if code != exitOK || len(proof) > 2048 {
		t.Fatalf("prove: exit %d, %d bytes: %s", code, len(proof), stderr)
	}
	pf := filepath.Join(dir, "5.proof")
	os.WriteFile(pf, []byte(proof), 0o600)
	if code, out, stderr := execRun(t, "audit", "check-proof", pf, "--verifier", "hmac:seed=42"); code != exitOK || !strings.Contains(out, "record 5 ") {
		t.Fatalf("check-proof: exit %d: %s%s", code, out, stderr)
	} else if !regexp.MustCompile(`, time 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z,`).MatchString(out) {
		t.Errorf("check-proof prints the record's time other than as RFC 3339: %s", out)
	}
	if code, _, stderr := execRun(t, "audit", "check-proof", pf, "--verifier", "hmac:seed=7"); code != exitError {
		t.Fatalf("check-proof, wrong key: exit %d: %s", code, stderr)
	}
	lines := strings.Split(proof, "\n")
	lines[3] = strings.Replace(lines[3], lines[3][:1], map[bool]string{true: "B", false: "A"}[lines[3][0] == 'A'], 1)
	os.WriteFile(pf, []byte(strings.Join(lines, "\n")), 0o600)
	if code, _, stderr := execRun(t, "audit", "check-proof", pf, "--verifier", "hmac:seed=42"); code != exitInvalid {
		t.Fatalf("check-proof, changed proof: exit %d: %s", code, stderr)
	}
	for _, args := range [][]string{
		{"audit", "prove", path, "--record", "0"},
		{"audit", "prove", path, "--record", "999999"},
		{"audit", "prove", path},
		{"audit", "check-proof", pf},
	} {
		if code, _, _ := execRun(t, args...); code != exitError {
			t.Errorf("%v: exit %d", args, code)
		}
	}
}

func TestDemoWitnessFlag(t *testing.T) {
	for _, w := range []string{"nourl", "http://127.0.0.1:1 not-a-key"} {
		if code, _, stderr := execRun(t, "demo", "--orders", "10", "--witness", w); code != exitError || !strings.Contains(stderr, "witness") {
			t.Errorf("--witness %q: exit %d: %s", w, code, stderr)
		}
	}
}

func TestDemoNoAudit(t *testing.T) {
	code, out, stderr := execRun(t, "demo", "--orders", "500", "--no-audit")
	if code != exitOK || !strings.Contains(out, "none (--no-audit)") {
		t.Fatalf("exit %d: %s%s", code, out, stderr)
	}
}

func TestDemoCheckpointSigner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	if code, _, stderr := execRun(t, "demo", "--orders", "100", "--audit", path, "--checkpoint-signer", "hmac:seed=7"); code != exitOK {
		t.Fatalf("demo: %s", stderr)
	}
	if code, out, stderr := execRun(t, "audit", "verify", path, "--signer", "hmac:seed=7", "--checkpoints", path+".checkpoints"); code != exitOK {
		t.Fatalf("checkpoint key: exit %d: %s%s", code, out, stderr)
	}
	if code, _, stderr := execRun(t, "audit", "verify", path, "--signer", "hmac:seed=42"); code != exitError || !strings.Contains(stderr, "not signed by the given key") {
		t.Fatalf("order key: exit %d: %s", code, stderr)
	}
}

// TestAuditCheckpointsDamaged: a checkpoints file changed anywhere, by a
// flipped bit or a cut, makes audit verify exit 1, like a changed log,
// whatever the damage (a checkpoint key name, a signature, a tree size, a
// note's frame). A cut between two notes leaves the file as it was
// earlier: that verifies (exit 0), as far as it goes. A checkpoints file
// that cannot be read, and a key that is not the log's, exit 2.
func TestAuditCheckpointsDamaged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	const ckSigner = "hmac:seed=7"
	if code, _, stderr := execRun(t, "demo", "--orders", "20", "--audit", path, "--checkpoint-signer", ckSigner); code != exitOK {
		t.Fatalf("demo: %s", stderr)
	}
	good, err := os.ReadFile(path + ".checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.SplitAfter(string(good), "\n\n")
	// Earlier states of the file: whole notes, with or without the blank
	// line after the last.
	earlier := map[int]bool{}
	for i, end := 0, 0; i+1 < len(notes); i += 2 {
		end += len(notes[i]) + len(notes[i+1])
		earlier[end-1], earlier[end] = true, true
	}
	if len(earlier) < 4 {
		t.Fatalf("the checkpoints file holds fewer than two notes:\n%s", good)
	}
	bad := filepath.Join(dir, "bad.checkpoints")
	verify := func(b []byte) (int, string) {
		if err := os.WriteFile(bad, b, 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := execRun(t, "audit", "verify", path, "--signer", ckSigner, "--checkpoints", bad)
		return code, stderr
	}
	for i := range good {
		for _, mask := range []byte{1 << (i % 8), 0x20} {
			b := slices.Clone(good)
			b[i] ^= mask
			if code, stderr := verify(b); code != exitInvalid {
				t.Errorf("bit 0x%02x of byte %d (%q) flipped: exit %d, want 1: %s", mask, i, good[i], code, stderr)
			}
		}
		want := exitInvalid
		if earlier[i] {
			want = exitOK
		}
		if code, stderr := verify(good[:i]); code != want {
			t.Errorf("cut at byte %d of %d: exit %d, want %d: %s", i, len(good), code, want, stderr)
		}
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"missing", []string{"--signer", ckSigner, "--checkpoints", filepath.Join(dir, "missing")}},
		{"a directory", []string{"--signer", ckSigner, "--checkpoints", dir}},
		{"not the log's key", []string{"--signer", "hmac:seed=8", "--checkpoints", path + ".checkpoints"}},
	} {
		if code, _, stderr := execRun(t, append([]string{"audit", "verify", path}, tc.args...)...); code != exitError {
			t.Errorf("%s: exit %d, want 2: %s", tc.name, code, stderr)
		}
	}
}

// TestAuditExportS3: audit export --to s3://… writes the same checkpoint
// as an export to a directory, under a prefix of the bucket of the
// gateway scripts/setup.d/46-versitygw.sh starts, and a second run writes
// nothing.
func TestAuditExportS3(t *testing.T) {
	endpoint, bucket := os.Getenv("TW_S3_ENDPOINT"), os.Getenv("TW_S3_BUCKET")
	if endpoint == "" || bucket == "" || os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		testenv.Need(t, "an S3-compatible service (TW_S3_ENDPOINT, TW_S3_BUCKET, AWS_ACCESS_KEY_ID)",
			"source scripts/setup.d/46-versitygw.sh, which starts versitygw and exports them")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	if code, _, stderr := execRun(t, "demo", "--orders", "300", "--audit", path, "--allow-shared-checkpoint-key"); code != exitOK {
		t.Fatalf("demo: %s", stderr)
	}
	to := fmt.Sprintf("s3://%s/cli-%d/orders?endpoint=%s", bucket, time.Now().UnixNano(), endpoint)
	for i, want := range []string{"(the export had 0)", "0 files written"} {
		code, stdout, stderr := execRun(t, "audit", "export", path, "--to", to)
		if code != exitOK || !strings.Contains(stdout, want) {
			t.Fatalf("audit export %d: exit %d: %s%s; want %q", i+1, code, stdout, stderr, want)
		}
	}
	if code, _, stderr := execRun(t, "audit", "export", path, "--to", filepath.Join(dir, "tiles")); code != exitOK {
		t.Fatal(stderr)
	}
	target, err := s3export.Open(context.Background(), to)
	if err != nil {
		t.Fatal(err)
	}
	got, err := target.Get(context.Background(), "checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := os.ReadFile(filepath.Join(dir, "tiles", "checkpoint")); !bytes.Equal(got, want) {
		t.Errorf("the bucket's checkpoint:\n%s\nthe directory's:\n%s", got, want)
	}
}

// TestAuditExport: audit export writes the log's C2SP tlog-tiles in DIR,
// a second run writes nothing, --json gives the counts, and a tile changed
// in DIR, a missing --to, a URL that is neither a path nor s3://, a
// malformed s3:// URL or a log that is not a regular file is refused with
// exit 2 and a message that says what to do.
func TestAuditExport(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	if code, _, stderr := execRun(t, "demo", "--orders", "300", "--audit", path, "--allow-shared-checkpoint-key"); code != exitOK {
		t.Fatalf("demo: %s", stderr)
	}
	out := filepath.Join(dir, "tiles")
	code, stdout, stderr := execRun(t, "audit", "export", path, "--to", out)
	if code != exitOK || !strings.Contains(stdout, "exported log ") || !strings.Contains(stdout, "(the export had 0)") {
		t.Fatalf("audit export: exit %d: %s%s", code, stdout, stderr)
	}
	for _, p := range []string{"checkpoint", "tile/0/000", "tile/entries/000"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("export: %v", err)
		}
	}
	code, stdout, stderr = execRun(t, "audit", "export", "--json", "--to", out, path)
	var rep struct {
		Origin                  string
		Size, Previous          int64
		Written, Kept, Restored int
		Seconds                 float64
	}
	if err := json.Unmarshal([]byte(stdout), &rep); code != exitOK || err != nil {
		t.Fatalf("audit export --json: exit %d, %v: %s%s", code, err, stdout, stderr)
	}
	if rep.Written != 0 || rep.Kept == 0 || rep.Size != rep.Previous || rep.Size < 300 || !strings.HasPrefix(rep.Origin, "tinywindow.dev/audit/") {
		t.Errorf("second export: %+v, want nothing written", rep)
	}

	tile := filepath.Join(out, "tile", "0", "001")
	b, _ := os.ReadFile(tile)
	b[7] ^= 1
	os.WriteFile(tile, b, 0o644)
	fifo := filepath.Join(dir, "fifo")
	syscall.Mkfifo(fifo, 0o600)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "export", path, "--to", out}, "tile/0/001: differs from the log's bytes"},
		{[]string{"audit", "export", path, "--to", out}, "export to a new directory"},
		{[]string{"audit", "export", path}, "--to DIR or --to s3://BUCKET/PREFIX is required"},
		{[]string{"audit", "export", path, "--to", "gs://bucket/prefix"}, "give a directory path or an S3 location"},
		{[]string{"audit", "export", path, "--to", "s3://bucket/prefix?endpoint=http://127.0.0.1:9000&acl=public"}, `unknown parameter "acl"`},
		{[]string{"audit", "export", "--to", out}, "exactly one FILE"},
		{[]string{"audit", "export", fifo, "--to", filepath.Join(dir, "t2")}, "not a regular file"},
		{[]string{"audit", "export", path, "--to", path}, "not a directory"},
	} {
		code, _, stderr := execRun(t, tc.args...)
		if code != exitError || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d: %s; want exit 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
