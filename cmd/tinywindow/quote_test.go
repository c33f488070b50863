package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tinywindow/tinywindow/service/servicetest"
)

// evil is text an attacker controls: a forged log line, terminal escapes,
// a bidirectional override and invalid UTF-8.
const evil = "x\ntinywindow: FORGED LINE\x1b[2J\x1b]0;title\x07\u202e\xff"

// pev is evil percent-encoded, as a key URI carries it (a URI holding raw
// control bytes is refused outright).
var pev = pctEncode(evil)

func pctEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '/' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// TestErrorsQuoteInput: whatever part of the input carries control bytes
// (a URI attribute of any backend, a file name, a config value, a secret
// source, a flag), the error on stderr is one line of printable UTF-8.
func TestErrorsQuoteInput(t *testing.T) {
	t.Setenv("TINYWINDOW_SIGNER", "")
	dir := t.TempDir()
	badYAML := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badYAML, []byte("signer: [\""+strings.ReplaceAll(evil, "\n", "\\n")+"\"\n"), 0o600)
	typeYAML := filepath.Join(dir, "type.yaml")
	os.WriteFile(typeYAML, []byte("backends:\n  hmac: \"a\\nb\\e[31m\"\n"), 0o600)
	badServe := filepath.Join(dir, "serve.yaml")
	os.WriteFile(badServe, []byte("listen: \"127.0.0.1:0\"\nkeys: {a: \"hmac:seed=1\"}\nclients: [{identity: \"a\\nb\\e[31m\", keys: [\"*\"], operations: [sign]}]\nbackends: {\"s\\e[1m\": {\"bad name\": x}}\n"), 0o600)
	ca := servicetest.NewCA(t, "test CA")
	client := ca.Client(t, "trader")
	tlsQuery := ca.Query(client) + "&retries=0&timeout=2s"
	cases := [][]string{
		{"sign", "--in", os.DevNull, "--signer", "remote:addr=127.0.0.1:1;key=" + pev + "?" + tlsQuery},
		{"sign", "--in", os.DevNull, "--signer", "remote:addr=" + pev + ":1;key=k?" + tlsQuery},
		{"keygen", "--signer", "hmac:key-source=file:/nonexistent/" + pev},
		{"keygen", "--signer", "pqc:alg=ML-DSA-65;seed-source=file:/nonexistent/" + pev},
		{"sign", "--in", os.DevNull, "--signer", "hmac:key-source=file:/nonexistent/" + pev},
		{"sign", "--in", os.DevNull, "--signer", "hmac:key-source=env:" + pev},
		{"sign", "--in", os.DevNull, "--signer", "hmac:seed=" + pev},
		{"sign", "--in", os.DevNull, "--signer", "pqc:alg=" + pev + ";seed-source=env:X"},
		{"sign", "--in", os.DevNull, "--signer", "pqc:alg=ML-DSA-65;pub-source=file:/nonexistent/" + pev},
		{"sign", "--in", os.DevNull, "--signer", "pqc:alg=ML-DSA-65;pub-source=env:" + pev},
		{"sign", "--in", os.DevNull, "--signer", "remote:addr=" + pev + ":1;key=k?insecure-loopback=true"},
		{"sign", "--in", os.DevNull, "--signer", "remote:addr=127.0.0.1:1;key=k?ca-source=file:/nonexistent/" + pev + "&cert-source=file:/x&key-source=file:/y"},
		{"sign", "--in", os.DevNull, "--signer", "pkcs11:token=" + pev + ";object=o?module-path=/nonexistent/" + pev + "&pin-source=env:" + pev},
		{"sign", "--in", os.DevNull, "--signer", "awskms:key-id=" + pev + ";region=eu-west-2"},
		{"sign", "--in", os.DevNull, "--signer", "awskms:key-id=alias/x;region=" + pev},
		{"sign", "--in", os.DevNull, "--signer", "awskms:key-id=alias/x;region=eu-west-2;profile=" + pev},
		{"sign", "--in", os.DevNull, "--signer", "azurekv:vault=https://" + pev + ";name=" + pev},
		{"sign", "--in", os.DevNull, "--signer", pev + ":a=b"},
		{"sign", "--in", os.DevNull, "--signer", "hmac:" + pev + "=1"},
		{"sign", "--signer", "hmac:seed=1", "--in", "/nonexistent/" + pev},
		{"sign", "--config", "/nonexistent/" + evil},
		{"sign", "--config", badYAML},
		{"sign", "--config", typeYAML},
		{"verify", "--signer", "hmac:seed=1", "--sig", pev},
		{"keygen", "--seed", evil},
		{"keygen", "--alg", evil, "--out", filepath.Join(dir, "k")},
		{"keygen", "--alg", "HMAC-SHA256", "--out", "/nonexistent/" + evil},
		{"conformance", "--signer", "hmac:seed=1", "--report", "/nonexistent/" + pev},
		{"serve", "--config", "/nonexistent/" + evil},
		{"serve", "--config", badServe},
		{"bench", "--signer", "hmac:seed=1", "--duration", pev},
		{evil},
	}
	if mod := os.Getenv("TW_PKCS11_MODULE"); mod != "" {
		// With a module that loads, the token lookup lists what it found.
		cases = append(cases, []string{"sign", "--in", os.DevNull, "--signer", "pkcs11:token=" + pev + ";object=o?module-path=" + mod + "&pin-source=env:HOME"})
	}
	for _, args := range cases {
		code, _, errOut := run(t, "", args...)
		if code == exitOK {
			t.Errorf("%q succeeded", args)
			continue
		}
		msg := strings.TrimSuffix(errOut, "\n")
		if i := strings.Index(msg, "\nusage:"); i >= 0 { // a flag error is followed by the usage
			msg = msg[:i]
		}
		if strings.ContainsAny(msg, "\n\x1b\x07\u202e") || !utf8.ValidString(msg) {
			t.Errorf("%q: stderr holds raw control bytes:\n%q", args, errOut)
		}
	}
}
