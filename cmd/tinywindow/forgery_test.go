package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pem"
	"github.com/tinywindow/tinywindow/service"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

// logRecord is one record of an audit log, read as the format in
// docs/execadapter.md lays it out: what anyone holding the file can do.
type logRecord struct {
	typ     audit.Type
	time    int64
	payload []byte
}

func readLogRecords(t *testing.T, path string) []logRecord {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []logRecord
	for pos := len(audit.Magic); pos < len(b); {
		l := int(binary.BigEndian.Uint32(b[pos:]))
		body := b[pos+4 : pos+4+l]
		out = append(out, logRecord{audit.Type(body[0]), int64(binary.BigEndian.Uint64(body[9:])), body[17:]})
		pos += 4 + l + audit.HashSize
	}
	return out
}

// rewriteHistory rewrites the audit log at path as an intruder who can
// have signer sign chosen bytes would: the same origin, one ack changed and
// the last records dropped, every checkpoint signed anew by signer, the
// checkpoints file replaced with the new one.
func rewriteHistory(t *testing.T, path string, signer provider.Signer) {
	t.Helper()
	recs := readLogRecords(t, path)
	ck, err := audit.ReadCheckpoints(path + ".checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	forged := filepath.Join(t.TempDir(), "forged.log")
	w, _, err := audit.Open(forged, audit.Options{Signer: signer, Origin: audit.CheckpointOrigin(ck[0]), Durability: audit.Always})
	if err != nil {
		t.Fatal(err)
	}
	changed := false
	for _, r := range recs[:len(recs)-40] {
		switch r.typ {
		case audit.TypeOpen, audit.TypeCheckpoint, audit.TypeRecovery:
			continue // the writer writes its own
		case audit.TypeAck:
			if !changed {
				r.payload = append([]byte(nil), r.payload...)
				r.payload[len(r.payload)-1] ^= 1
				changed = true
			}
		}
		if err := w.Append(r.typ, r.time, r.payload); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"", ".checkpoints", ".hashes", ".idx"} {
		if err := os.Rename(forged+ext, path+ext); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCheckpointForgeryThroughSign is the attack of a signing service
// client allowed only to sign with the order key: it rewrites a demo's
// audit log (an ack changed, records dropped) and signs new checkpoints
// through the ordinary Sign RPC. With the demo's default, a checkpoint key
// of its own, the auditor's `audit verify` with that key refuses the
// rewritten log; only a demo run with --allow-shared-checkpoint-key, the
// documented cost, leaves a log that the forgery passes.
func TestCheckpointForgeryThroughSign(t *testing.T) {
	dir := t.TempDir()
	priv, err := pem.GenerateKey(provider.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := pem.MarshalPrivateKey(priv)
	orderKeyFile := filepath.Join(dir, "orders.pem")
	if err := os.WriteFile(orderKeyFile, text, 0o600); err != nil {
		t.Fatal(err)
	}
	ca := servicetest.NewCA(t, "forgery test CA")
	cfg := &service.Config{
		Listen: "127.0.0.1:0",
		TLS:    ca.TLS(ca.Server(t)),
		Keys:   map[string]service.Key{"orders": {URI: "pem:key-source=file:" + orderKeyFile}},
		Clients: []service.Client{
			{Identity: "desk", Keys: []string{"orders"}, Operations: []string{"sign", "verify"}},
			{Identity: "intruder", Keys: []string{"orders"}, Operations: []string{"sign"}},
		},
	}
	_, addr := servicetest.Start(t, cfg, service.Options{})
	deskURI := "remote:addr=" + addr + ";key=orders?" + ca.Query(ca.Client(t, "desk"))
	intruder, err := provider.Open(context.Background(), "remote:addr="+addr+";key=orders?"+ca.Query(ca.Client(t, "intruder")))
	if err != nil {
		t.Fatal(err)
	}
	defer intruder.Close()

	tests := []struct {
		name     string
		flags    []string
		accepted bool // whether the rewritten log passes audit verify
	}{
		{"default: a checkpoint key of its own", nil, false},
		{"--allow-shared-checkpoint-key: the documented cost", []string{"--allow-shared-checkpoint-key"}, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, string(rune('a'+i))+".log")
			code, out, stderr := execRun(t, append([]string{"demo", "--signer", deskURI, "--orders", "300", "--audit", path, "--json"}, tc.flags...)...)
			if code != exitOK {
				t.Fatalf("demo: exit %d: %s", code, stderr)
			}
			// The key the auditor is told verifies the checkpoints: the
			// dedicated key's URI, else the order key.
			var res struct {
				CheckpointKeyURI string `json:"checkpoint_key_uri"`
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatal(err)
			}
			auditor := res.CheckpointKeyURI
			if auditor == "" {
				auditor = deskURI
			}
			if code, out, stderr := execRun(t, "audit", "verify", path, "--signer", auditor, "--checkpoints", path+".checkpoints"); code != exitOK {
				t.Fatalf("the demo's own log: exit %d: %s%s", code, out, stderr)
			}

			rewriteHistory(t, path, intruder)
			code, out, stderr = execRun(t, "audit", "verify", path, "--signer", auditor, "--checkpoints", path+".checkpoints")
			if got := code == exitOK && strings.Contains(out, "intact"); got != tc.accepted {
				t.Fatalf("rewritten log, verified with %s: exit %d (accepted %v, want %v): %s%s", auditor, code, got, tc.accepted, out, stderr)
			}
			if !tc.accepted && !strings.Contains(stderr, "not signed by the given key") {
				t.Fatalf("rewritten log: %s", stderr)
			}
		})
	}
}

// TestAuditVerifyLegacyLog: a log whose checkpoints were signed the way
// earlier releases signed them (the raw note text, under signature type
// "tinywindow.dev/provider-signature/ALG") exits 2 naming the legacy form,
// neither 0 (accepted under the weaker rule) nor 1 (called changed).
func TestAuditVerifyLegacyLog(t *testing.T) {
	const ckURI = "hmac:seed=4242"
	ck, err := provider.Open(context.Background(), ckURI)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	path := filepath.Join(t.TempDir(), "legacy.log")
	w, _, err := audit.Open(path, audit.Options{Signer: ck, Durability: audit.Always})
	if err != nil {
		t.Fatal(err)
	}
	w.Append(audit.TypeNote, 1, []byte("a note"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Re-sign every checkpoint record in place as the legacy writer did,
	// and recompute its leaf hash.
	for pos := len(audit.Magic); pos < len(b); {
		l := int(binary.BigEndian.Uint32(b[pos:]))
		rec := b[pos : pos+4+l]
		if audit.Type(rec[4]) == audit.TypeCheckpoint {
			msg := rec[4+17:]
			text, sigs, _ := strings.Cut(string(msg), "\n\n")
			text += "\n"
			origin, _, _ := strings.Cut(text, "\n")
			info := ck.Info()
			h := sha256.Sum256([]byte(origin + "\n\xfftinywindow.dev/provider-signature/" + string(info.Algorithm) + "\n" + info.ID))
			sig, err := ck.Sign(context.Background(), []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			i := strings.LastIndex(sigs, " ")
			legacy := text + "\n" + sigs[:i+1] + base64.StdEncoding.EncodeToString(append(h[:4:4], sig...)) + "\n"
			if len(legacy) != len(msg) {
				t.Fatalf("legacy note of %d bytes, %d expected", len(legacy), len(msg))
			}
			copy(msg, legacy)
			leaf := sha256.Sum256(append([]byte{0}, rec...))
			copy(b[pos+4+l:], leaf[:])
		}
		pos += 4 + l + audit.HashSize
	}
	os.WriteFile(path, b, 0o600)
	code, out, stderr := execRun(t, "audit", "verify", path, "--signer", ckURI)
	if code != exitError || !strings.Contains(stderr, "without the domain") || !strings.Contains(stderr, "checkpoint key of its own") {
		t.Fatalf("legacy log: exit %d, want 2 naming the legacy form: %s%s", code, out, stderr)
	}
}
