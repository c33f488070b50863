package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

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
	if err := rewriteLog(t, path, signer, 40); err != nil {
		t.Fatal(err)
	}
}

// rewriteLog is rewriteHistory with the last drop records dropped (none
// for a negative drop, which appends as many new notes instead); it returns
// the error of a signer that refuses to sign the rewritten log.
func rewriteLog(t *testing.T, path string, signer provider.Signer, drop int) error {
	t.Helper()
	recs := readLogRecords(t, path)
	ck, err := audit.ReadCheckpoints(path + ".checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	forged := filepath.Join(t.TempDir(), "forged.log")
	w, _, err := audit.Open(forged, audit.Options{Signer: signer, Origin: audit.CheckpointOrigin(ck[0]), Durability: audit.Always})
	if err != nil {
		return err
	}
	keep := recs[:len(recs)-max(drop, 0)]
	for i := drop; i < 0; i++ {
		keep = append(keep, logRecord{audit.TypeNote, 1, []byte("an extra note")})
	}
	changed := false
	for _, r := range keep {
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
			w.Close()
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	for _, ext := range []string{"", ".checkpoints", ".hashes", ".idx"} {
		if err := os.Rename(forged+ext, path+ext); err != nil {
			t.Fatal(err)
		}
	}
	return nil
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

// writeEd25519Key writes a new Ed25519 private key to dir/name and returns
// its path.
func writeEd25519Key(t *testing.T, dir, name string) string {
	t.Helper()
	priv, err := pem.GenerateKey(provider.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	text, err := pem.MarshalPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, text, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// copyLog copies the audit log at path and its sidecars to a new path.
func copyLog(t *testing.T, path string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), "copy.log")
	for _, ext := range []string{"", ".checkpoints", ".hashes", ".idx"} {
		b, err := os.ReadFile(path + ext)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to+ext, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// lastCheckpoint returns the note text of the last checkpoint of the log
// at path, parsed.
func lastCheckpoint(t *testing.T, path string) audit.Checkpoint {
	t.Helper()
	ck, err := audit.ReadCheckpoints(path + ".checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	text, _, _ := strings.Cut(string(ck[len(ck)-1]), "\n\n")
	c, err := audit.ParseCheckpoint(text + "\n")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCheckpointForgeryThroughServicePurposes replays
// TestCheckpointForgeryThroughSign against a service whose keys have
// purposes: the demo signs its orders through an orders key (SignOrder)
// and its checkpoints through a checkpoints key (SignCheckpoint), and the
// intruder may call every RPC on both keys. No RPC of either key signs a
// checkpoint of a rewritten log, and the log stays intact.
func TestCheckpointForgeryThroughServicePurposes(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "log.ckstate")
	if code, _, stderr := execRun(t, "serve", "--init-checkpoint-state", state); code != exitOK {
		t.Fatalf("serve --init-checkpoint-state: exit %d: %s", code, stderr)
	}
	if code, _, stderr := execRun(t, "serve", "--init-checkpoint-state", state); code != exitError || !strings.Contains(stderr, "never start it over") {
		t.Fatalf("serve --init-checkpoint-state on an existing file: exit %d: %s", code, stderr)
	}
	if code, _, stderr := execRun(t, "serve", "--init-checkpoint-state", state+".2", "--config", state); code != exitError || !strings.Contains(stderr, "without --config") {
		t.Fatalf("serve --init-checkpoint-state with --config: exit %d: %s", code, stderr)
	}
	ca := servicetest.NewCA(t, "forgery test CA")
	cfg := &service.Config{
		Listen: "127.0.0.1:0",
		TLS:    ca.TLS(ca.Server(t)),
		Keys: map[string]service.Key{
			"orders": {URI: "pem:key-source=file:" + writeEd25519Key(t, dir, "orders.pem"), Purpose: service.PurposeOrders, MaxSkew: time.Hour},
			"log":    {URI: "pem:key-source=file:" + writeEd25519Key(t, dir, "log.pem"), Purpose: service.PurposeCheckpoints, State: state},
		},
		Clients: []service.Client{
			{Identity: "desk", Keys: []string{"orders", "log"}, Operations: []string{"sign", "verify"}},
			{Identity: "intruder", Keys: []string{"orders", "log"}, Operations: []string{"sign", "verify"}},
		},
	}
	_, addr := servicetest.Start(t, cfg, service.Options{})
	uri := func(key, who string) string {
		return "remote:addr=" + addr + ";key=" + key + "?" + ca.Query(ca.Client(t, who))
	}
	open := func(key, who string) provider.Key {
		k, err := provider.Open(context.Background(), uri(key, who))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.Close() })
		return k
	}

	path := filepath.Join(dir, "demo.log")
	if code, _, stderr := execRun(t, "demo", "--signer", uri("orders", "desk"), "--checkpoint-signer", uri("log", "desk"), "--orders", "300", "--audit", path, "--json"); code != exitOK {
		t.Fatalf("demo through SignOrder and SignCheckpoint: exit %d: %s", code, stderr)
	}
	verify := func() {
		t.Helper()
		if code, out, stderr := execRun(t, "audit", "verify", path, "--signer", uri("log", "desk"), "--checkpoints", path+".checkpoints"); code != exitOK || !strings.Contains(out, "intact") {
			t.Fatalf("audit verify: exit %d: %s%s", code, out, stderr)
		}
	}
	verify()

	ckKey, orderKey := open("log", "intruder"), open("orders", "intruder")
	real := lastCheckpoint(t, path)
	forged := real
	forged.Hash[0] ^= 1 // the root of a rewritten log of the same size
	forged.Time++
	forgedText := []byte(forged.Text())
	msg := audit.AppendCheckpointMessage(nil, ckKey.Info().Algorithm, forgedText)
	signOrder := func(k provider.Key, b []byte) error {
		_, err := k.(interface {
			SignOrder(context.Context, []byte) ([]byte, error)
		}).SignOrder(context.Background(), b)
		return err
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		attempt func() error
		kind    error
		want    string
	}{
		{"Sign on the checkpoints key", func() error { _, err := ckKey.Sign(ctx, msg); return err }, provider.ErrPermissionDenied, "has purpose checkpoints"},
		{"Sign on the orders key", func() error { _, err := orderKey.Sign(ctx, msg); return err }, provider.ErrPermissionDenied, "has purpose orders"},
		{"SignOrder of the checkpoint text", func() error { return signOrder(orderKey, msg) }, provider.ErrInvalidConfig, "order"},
		{"SignOrder on the checkpoints key", func() error { return signOrder(ckKey, msg) }, provider.ErrPermissionDenied, "has purpose checkpoints"},
		{"SignCheckpoint as a new log of the same origin", func() error {
			_, err := ckKey.(audit.ProvenSigner).SignCheckpoint(ctx, forgedText, 0, nil)
			return err
		}, provider.ErrInvalidConfig, "forks from root"},
		{"the hardening issue's rewrite, through SignCheckpoint", func() error {
			return rewriteLog(t, copyLog(t, path), ckKey, 40)
		}, provider.ErrUnsupported, "bootstrap refused"},
		{"a longer rewritten log, with its own consistency proof", func() error {
			// The intruder rewrites the log with a key of its own, then
			// asks for a checkpoint of it with the proof its tree gives.
			fake := copyLog(t, path)
			if err := rewriteLog(t, fake, mustOpen(t, "hmac:seed=666"), -50); err != nil {
				t.Fatal(err)
			}
			c := lastCheckpoint(t, fake)
			hf, err := os.Open(fake + ".hashes")
			if err != nil {
				t.Fatal(err)
			}
			defer hf.Close()
			prove := func(n int64) ([]tlog.Hash, error) {
				return tlog.ProveTree(c.N, n, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
					out := make([]tlog.Hash, len(idx))
					for i, x := range idx {
						if _, err := hf.ReadAt(out[i][:], x*tlog.HashSize); err != nil {
							return nil, err
						}
					}
					return out, nil
				}))
			}
			if c.N <= real.N {
				t.Fatalf("the rewritten log has %d records, the real one %d", c.N, real.N)
			}
			_, err = ckKey.(audit.ProvenSigner).SignCheckpoint(ctx, []byte(c.Text()), real.N, prove)
			return err
		}, provider.ErrInvalidConfig, "a forked history or a bad proof"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.attempt()
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v; want %v naming %q", err, tc.kind, tc.want)
			}
		})
	}
	verify()
}

func mustOpen(t *testing.T, uri string) provider.Key {
	t.Helper()
	k, err := provider.Open(context.Background(), uri)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}
