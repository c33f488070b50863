package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/providers/pem"
)

// signedReport runs conformance against signer with --sign-with auditor,
// writing dir/r.json and dir/r.md with their .sig files.
func signedReport(t *testing.T, dir, signer, auditor string) {
	t.Helper()
	code, _, errOut := run(t, "", "conformance", "--signer", signer, "--goroutines", "2", "--ops", "1",
		"--report", filepath.Join(dir, "r.json"), "--markdown", filepath.Join(dir, "r.md"), "--sign-with", auditor)
	if code != exitOK {
		t.Fatalf("conformance --sign-with: exit %d: %s", code, errOut)
	}
}

// TestConformanceVerifyReport checks conformance --sign-with and
// conformance verify-report: both reports verify with the auditor's public
// key alone (exit 0); an edited report, another report's signature, a
// signature file whose format was changed, another key are refused as not
// signed (exit 1); an unreadable, truncated, oversized or malformed
// signature file, a report over 16 MiB, a report of an unknown schema
// version and a missing
// --verifier cannot be checked (exit 2).
func TestConformanceVerifyReport(t *testing.T) {
	dir := t.TempDir()
	auditor := filepath.Join(dir, "auditor.pem")
	other := filepath.Join(dir, "other.pem")
	for _, p := range []string{auditor, other} {
		if code, _, errOut := run(t, "", "keygen", "--alg", "Ed25519", "--out", p); code != exitOK {
			t.Fatalf("keygen: %s", errOut)
		}
	}
	pubURI := func(priv string) string {
		code, out, errOut := run(t, "", "pubkey", "--signer", "pem:key-source=file:"+priv)
		if code != exitOK {
			t.Fatalf("pubkey: %s", errOut)
		}
		pub := priv + ".pub"
		os.WriteFile(pub, []byte(out), 0o644)
		return "pem:pub-source=file:" + pub
	}
	auditorPub, otherPub := pubURI(auditor), pubURI(other)
	signedReport(t, dir, "hmac:seed=42", "pem:key-source=file:"+auditor)
	second := filepath.Join(dir, "second")
	os.Mkdir(second, 0o700)
	signedReport(t, second, "hmac:seed=7", "pem:key-source=file:"+auditor)

	jsonReport, _ := os.ReadFile(filepath.Join(dir, "r.json"))
	jsonSig, _ := os.ReadFile(filepath.Join(dir, "r.json.sig"))
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	edited := write("edited.json", bytes.Replace(jsonReport, []byte(`"failed": 0`), []byte(`"failed": 1`), 1))
	write("edited.json.sig", jsonSig)
	swapped := write("swapped.json", jsonReport)
	write("swapped.json.sig", bytes.Replace(jsonSig, []byte("format json"), []byte("format markdown"), 1))

	// A report of a schema this program does not know, signed properly.
	var m map[string]any
	if err := json.Unmarshal(jsonReport, &m); err != nil {
		t.Fatal(err)
	}
	m["schema_version"] = conformance.SchemaVersion + 1
	future, _ := json.Marshal(m)
	key, err := pem.Open(context.Background(), "pem:key-source=file:"+auditor)
	if err != nil {
		t.Fatal(err)
	}
	defer key.Close()
	sig, err := conformance.SignReport(context.Background(), key, conformance.FormatJSON, future)
	if err != nil {
		t.Fatal(err)
	}
	futureSig, _ := sig.MarshalText()
	futurePath := write("future.json", future)
	write("future.json.sig", futureSig)

	report := filepath.Join(dir, "r.json")
	for _, tc := range []struct {
		name string
		args []string
		want int
		say  string
	}{
		{"json", []string{report, "--verifier", auditorPub}, exitOK, "json report signed by key"},
		{"markdown", []string{filepath.Join(dir, "r.md"), "--verifier", auditorPub}, exitOK, "markdown report signed by key"},
		{"signed by the private key's URI", []string{report, "--verifier", "pem:key-source=file:" + auditor}, exitOK, ""},
		{"edited", []string{edited, "--verifier", auditorPub}, exitInvalid, "edited after signing"},
		{"another report's signature", []string{report, "--signature", filepath.Join(second, "r.json.sig"), "--verifier", auditorPub}, exitInvalid, "another report"},
		{"markdown signature on JSON", []string{report, "--signature", filepath.Join(dir, "r.md.sig"), "--verifier", auditorPub}, exitInvalid, "not the one the key signed"},
		{"format changed", []string{swapped, "--verifier", auditorPub}, exitInvalid, "not the one the key signed"},
		{"another key", []string{report, "--verifier", otherPub}, exitInvalid, "names key"},
		{"unknown schema", []string{futurePath, "--verifier", auditorPub}, exitError, "schema_version 2"},
		{"no signature file", []string{report, "--signature", filepath.Join(dir, "none.sig"), "--verifier", auditorPub}, exitError, "none.sig"},
		{"truncated signature", []string{report, "--signature", write("trunc.sig", jsonSig[:len(jsonSig)-10]), "--verifier", auditorPub}, exitError, "newline"},
		{"oversized signature", []string{report, "--signature", write("big.sig", bytes.Repeat([]byte("x"), conformance.MaxSignatureFile+1)), "--verifier", auditorPub}, exitError, "limit"},
		{"malformed signature", []string{report, "--signature", write("bad.sig", bytes.Replace(jsonSig, []byte("\nsignature "), []byte("\nsignature !"), 1)), "--verifier", auditorPub}, exitError, "base64"},
		{"oversized report", []string{write("huge.json", make([]byte, conformance.MaxReportSize+1)), "--signature", filepath.Join(dir, "r.json.sig"), "--verifier", auditorPub}, exitError, "limit"},
		{"no verifier", []string{report}, exitError, "--verifier"},
		{"a directory as report", []string{dir, "--signature", filepath.Join(dir, "r.json.sig"), "--verifier", auditorPub}, exitError, "regular"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, "", append([]string{"conformance", "verify-report"}, tc.args...)...)
			if code != tc.want || !strings.Contains(out+errOut, tc.say) {
				t.Errorf("exit %d, want %d; output %q %q, want one saying %q", code, tc.want, out, errOut, tc.say)
			}
		})
	}
}

// TestConformanceSoftHSMSignedReport runs the suite against a P-256 key made
// in a SoftHSM2 token, signs the report with a second key in the token, and
// checks that the report gives the key's provenance attributes as the token
// holds them and verifies with the signing key's public key alone.
func TestConformanceSoftHSMSignedReport(t *testing.T) {
	prefix, query := softHSMToken(t)
	dir := t.TempDir()
	subject, auditor := prefix+"orders"+query, prefix+"auditor"+query
	for _, uri := range []string{subject, auditor} {
		if code, _, errOut := run(t, "", "keygen", "--signer", uri, "--alg", "ECDSA-P256-SHA256"); code != exitOK {
			t.Fatalf("keygen %s: %s", uri, errOut)
		}
	}
	code, pub, errOut := run(t, "", "pubkey", "--signer", auditor)
	if code != exitOK {
		t.Fatalf("pubkey: %s", errOut)
	}
	pubPath := filepath.Join(dir, "auditor.pub.pem")
	os.WriteFile(pubPath, []byte(pub), 0o644)
	signedReport(t, dir, subject, auditor)

	var rep conformance.Report
	data, _ := os.ReadFile(filepath.Join(dir, "r.json"))
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	p := rep.KeyProvenance
	for name, want := range map[string]string{"CKA_LOCAL": "true", "CKA_SENSITIVE": "true", "CKA_ALWAYS_SENSITIVE": "true",
		"CKA_EXTRACTABLE": "false", "CKA_NEVER_EXTRACTABLE": "true", "CKA_PRIVATE": "true"} {
		if p.Attributes[name] != want {
			t.Errorf("%s = %q, want %q (provenance %+v)", name, p.Attributes[name], want, p)
		}
	}
	if p.Origin != "generated" || p.Extractable != "no" || rep.Failed != 0 || rep.PublicKeySHA256 == "" || rep.Build.BinarySHA256 == "" {
		t.Errorf("origin %q, extractable %q, %d failed, public key SHA-256 %q, binary SHA-256 %q", p.Origin, p.Extractable, rep.Failed, rep.PublicKeySHA256, rep.Build.BinarySHA256)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "r.md"))
	for _, want := range []string{"| Made where it is held | generated |", "| Can leave | no |", "## Key provenance", "| CKA_NEVER_EXTRACTABLE | `true` |"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("Markdown report lacks %q", want)
		}
	}
	for _, f := range []string{"r.json", "r.md"} {
		code, out, errOut := run(t, "", "conformance", "verify-report", filepath.Join(dir, f), "--verifier", "pem:pub-source=file:"+pubPath)
		if code != exitOK {
			t.Errorf("verify-report %s: exit %d: %s%s", f, code, out, errOut)
		}
	}
}
