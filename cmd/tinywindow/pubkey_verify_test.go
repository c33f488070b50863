package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// writePublic writes a public key file of mode 0644, as public keys are
// kept, and returns its path.
func writePublic(t *testing.T, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pub.pem")
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// flipHex flips the low bit of the last byte of a hex signature.
func flipHex(sig string) string {
	last := sig[len(sig)-1]
	if last == '0' {
		return sig[:len(sig)-1] + "1"
	}
	return sig[:len(sig)-1] + "0"
}

// checkPublicVerify signs with signer through the CLI and checks that
// `verify --signer pub` accepts the signature and refuses it altered or
// over another message, and that `sign --signer pub` is refused saying the
// key verifies only.
func checkPublicVerify(t *testing.T, signer, pub string) {
	t.Helper()
	const msg = "8=FIX.4.4|35=D|55=EURUSD|54=1|38=1000000|"
	code, sig, errOut := run(t, msg, "sign", "--signer", signer)
	if code != exitOK {
		t.Fatalf("sign --signer %s: exit %d: %s", signer, code, errOut)
	}
	sig = strings.TrimSpace(sig)
	for _, tc := range []struct {
		name, msg, sig string
		want           int
	}{
		{"as signed", msg, sig, exitOK},
		{"signature altered", msg, flipHex(sig), exitInvalid},
		{"message altered", msg + "x", sig, exitInvalid},
	} {
		if code, _, errOut := run(t, tc.msg, "verify", "--signer", pub, "--sig", tc.sig); code != tc.want {
			t.Errorf("verify --signer %s, %s: exit %d, want %d: %s", pub, tc.name, code, tc.want, errOut)
		}
	}
	if code, _, errOut := run(t, msg, "sign", "--signer", pub); code != exitError || !strings.Contains(errOut, "verif") {
		t.Errorf("sign --signer %s: exit %d, want %d saying it verifies only: %s", pub, code, exitError, errOut)
	}
}

// TestPubkeyIntoVerify pipes `tinywindow pubkey --signer X` into `verify
// --signer pem:pub-source=file:PUB`, for keys of every backend the CLI
// tests reach: pem (every algorithm), pqc, SoftHSM2 (pkcs11) and local-kms
// (awskms). local-kms RSA is left out: it signs RSA-PSS with a salt AWS KMS
// never uses (see docs/awskms.md), so its public key rightly refuses them.
func TestPubkeyIntoVerify(t *testing.T) {
	t.Setenv("TINYWINDOW_SIGNER", "")
	dir := t.TempDir()
	type key struct{ name, uri, alg, query string }
	keys := []key{
		{"pem-ed25519", "pem:key-source=file:" + filepath.Join(dir, "ed.pem"), "Ed25519", ""},
		{"pem-p256", "pem:key-source=file:" + filepath.Join(dir, "p256.pem"), "ECDSA-P256-SHA256", ""},
		{"pem-p384", "pem:key-source=file:" + filepath.Join(dir, "p384.pem"), "ECDSA-P384-SHA384", ""},
		{"pem-p521", "pem:key-source=file:" + filepath.Join(dir, "p521.pem"), "ECDSA-P521-SHA512", ""},
		{"pem-rsa-pss", "pem:key-source=file:" + filepath.Join(dir, "rsa.pem"), "RSA-PSS-SHA256", ""},
		{"pem-rsa-pkcs1", "pem:key-source=file:" + filepath.Join(dir, "rsa1.pem") + ";alg=RSA-PKCS1-SHA256", "RSA-PKCS1-SHA256", ";alg=RSA-PKCS1-SHA256"},
		{"pqc-ml-dsa-65", "pqc:alg=ML-DSA-65;seed-source=file:" + filepath.Join(dir, "mldsa.seed"), "ML-DSA-65", ""},
		{"pqc-slh-dsa", "pqc:alg=SLH-DSA-SHA2-128f;seed-source=file:" + filepath.Join(dir, "slhdsa.seed"), "SLH-DSA-SHA2-128f", ""},
	}
	if _, err := os.Stat("/usr/lib/softhsm/libsofthsm2.so"); err == nil || os.Getenv("TW_PKCS11_MODULE") != "" || os.Getenv("CI") != "" {
		hsm, hsmQuery := softHSMToken(t)
		keys = append(keys,
			key{"hsm-p256", hsm + "p256" + hsmQuery, "ECDSA-P256-SHA256", ""},
			key{"hsm-p384", hsm + "p384" + hsmQuery, "ECDSA-P384-SHA384", ""},
			key{"hsm-ed25519", hsm + "ed25519" + hsmQuery, "Ed25519", ""},
			key{"hsm-rsa-pss", hsm + "rsa" + hsmQuery, "RSA-PSS-SHA256", ""})
	} else {
		t.Log("SoftHSM2 is not installed: pkcs11 keys left out")
	}
	if _, err := os.Stat("../../.tools/bin/local-kms"); err == nil || os.Getenv("TW_LOCAL_KMS") != "" || os.Getenv("CI") != "" {
		kms, kmsQuery := localKMS(t)
		keys = append(keys,
			key{"kms-p256", kms + "alias/pub-p256" + kmsQuery, "ECDSA-P256-SHA256", ""},
			key{"kms-p384", kms + "alias/pub-p384" + kmsQuery, "ECDSA-P384-SHA384", ""})
	} else {
		t.Log("local-kms is not built: awskms keys left out")
	}
	for _, k := range keys {
		t.Run(k.name, func(t *testing.T) {
			if code, _, errOut := run(t, "", "keygen", "--signer", k.uri, "--alg", k.alg); code != exitOK {
				t.Fatalf("keygen: exit %d: %s", code, errOut)
			}
			code, pubPEM, errOut := run(t, "", "pubkey", "--signer", k.uri)
			if code != exitOK {
				t.Fatalf("pubkey: exit %d: %s", code, errOut)
			}
			checkPublicVerify(t, k.uri, "pem:pub-source=file:"+writePublic(t, pubPEM)+k.query)
		})
	}
}

// TestOpenSSLKeysVerifyFromPublicKey makes keys with OpenSSL, as a new user
// would, signs through pem:key-source, and verifies with the public key
// that `openssl pkey -pubout` writes, from a file of mode 0644.
func TestOpenSSLKeysVerifyFromPublicKey(t *testing.T) {
	openssl := needTool(t, "openssl", "openssl")
	t.Setenv("TINYWINDOW_SIGNER", "")
	for _, tc := range []struct {
		name  string
		args  []string
		query string
	}{
		{"ed25519", []string{"-algorithm", "ed25519"}, ""},
		{"p256", []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"}, ""},
		{"p384", []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"}, ""},
		{"rsa-pss", []string{"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"}, ""},
		{"rsa-pkcs1", []string{"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"}, ";alg=RSA-PKCS1-SHA256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			priv, pub := filepath.Join(dir, "k.pem"), filepath.Join(dir, "pub.pem")
			sh(t, openssl, append([]string{"genpkey", "-out", priv}, tc.args...)...)
			if err := os.Chmod(priv, 0o600); err != nil {
				t.Fatal(err)
			}
			sh(t, openssl, "pkey", "-in", priv, "-pubout", "-out", pub)
			if err := os.Chmod(pub, 0o644); err != nil {
				t.Fatal(err)
			}
			checkPublicVerify(t, "pem:key-source=file:"+priv+tc.query, "pem:pub-source=file:"+pub+tc.query)
			// The public key in key-source= is refused without a chmod hint.
			code, _, errOut := run(t, "m", "sign", "--signer", "pem:key-source=file:"+pub)
			if code != exitError || strings.Contains(errOut, "chmod") || !strings.Contains(errOut, "pem:pub-source=") {
				t.Errorf("sign with the public key as key-source: exit %d: %s", code, errOut)
			}
		})
	}
}

// TestAuditVerifiesFromPublicKey has the demo sign its audit checkpoints
// with an Ed25519 pem key, and `audit verify`, `audit check-proof` and
// `verify` check them with nothing but the public key.
func TestAuditVerifiesFromPublicKey(t *testing.T) {
	t.Setenv("TINYWINDOW_SIGNER", "")
	dir := t.TempDir()
	cp := "pem:key-source=file:" + filepath.Join(dir, "cp.pem")
	if code, _, errOut := run(t, "", "keygen", "--signer", cp, "--alg", "Ed25519"); code != exitOK {
		t.Fatalf("keygen: %s", errOut)
	}
	_, pubPEM, _ := run(t, "", "pubkey", "--signer", cp)
	pub := "pem:pub-source=file:" + writePublic(t, pubPEM)
	path := filepath.Join(dir, "audit.log")
	if code, _, errOut := execRun(t, "demo", "--orders", "50", "--audit", path, "--checkpoint-signer", cp); code != exitOK {
		t.Fatalf("demo: %s", errOut)
	}
	if code, out, errOut := execRun(t, "audit", "verify", path, "--signer", pub, "--checkpoints", path+".checkpoints"); code != exitOK {
		t.Fatalf("audit verify --signer %s: exit %d: %s%s", pub, code, out, errOut)
	}
	code, proof, errOut := execRun(t, "audit", "prove", path, "--record", "3")
	if code != exitOK {
		t.Fatalf("audit prove: %s", errOut)
	}
	pf := filepath.Join(dir, "3.proof")
	if err := os.WriteFile(pf, []byte(proof), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := execRun(t, "audit", "check-proof", pf, "--verifier", pub); code != exitOK || !strings.Contains(out, "record 3 ") {
		t.Fatalf("audit check-proof --verifier %s: exit %d: %s%s", pub, code, out, errOut)
	}
	other := "pem:key-source=file:" + filepath.Join(dir, "other.pem")
	run(t, "", "keygen", "--signer", other, "--alg", "Ed25519")
	_, otherPEM, _ := run(t, "", "pubkey", "--signer", other)
	if code, _, errOut := execRun(t, "audit", "check-proof", pf, "--verifier", "pem:pub-source=file:"+writePublic(t, otherPEM)); code == exitOK {
		t.Fatalf("audit check-proof with another public key: exit %d: %s", code, errOut)
	}
}

// TestVenueVerifiesFromPublicKey serves a venue that holds only the public
// key of the orders' Ed25519 pem key, and has the demo send it orders.
func TestVenueVerifiesFromPublicKey(t *testing.T) {
	t.Setenv("TINYWINDOW_SIGNER", "")
	dir := t.TempDir()
	orders := "pem:key-source=file:" + filepath.Join(dir, "orders.pem")
	if code, _, errOut := run(t, "", "keygen", "--signer", orders, "--alg", "Ed25519"); code != exitOK {
		t.Fatalf("keygen: %s", errOut)
	}
	_, pubPEM, _ := run(t, "", "pubkey", "--signer", orders)
	pub := "pem:pub-source=file:" + writePublic(t, pubPEM)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, &env{stdin: strings.NewReader(""), stdout: pw, stderr: &stderr},
			[]string{"venue", "--listen", "127.0.0.1:0", "--verifier", pub})
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("venue printed nothing: %v: %s", err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	addr := regexp.MustCompile(`127\.0\.0\.1:\d+`).FindString(line)
	if addr == "" {
		t.Fatalf("no address in %q", line)
	}
	code, out, errOut := execRun(t, "demo", "--orders", "200", "--venue", "tcp://"+addr, "--signer", orders, "--no-audit", "--json")
	var res struct {
		Accepted, Failed int
		VenueRejected    map[string]int `json:"venue_rejected"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &res) != nil || res.Accepted == 0 || res.Failed != 0 || len(res.VenueRejected) != 0 {
		t.Errorf("demo signing with the pem key, the venue verifying with its public key: exit %d: %s %s", code, out, errOut)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("venue exit %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("venue did not stop")
	}
	// The in-process venue of the demo takes the public key too.
	code, out, errOut = execRun(t, "demo", "--orders", "200", "--signer", orders, "--venue-key", pub, "--no-audit", "--json")
	res.Accepted, res.Failed, res.VenueRejected = 0, 0, nil
	if code != exitOK || json.Unmarshal([]byte(out), &res) != nil || res.Accepted == 0 || res.Failed != 0 || len(res.VenueRejected) != 0 {
		t.Errorf("demo --venue-key %s: exit %d: %s %s", pub, code, out, errOut)
	}
	// ... and another key's public key is refused, so the key given is the
	// one the venue holds.
	other := "pem:key-source=file:" + filepath.Join(dir, "other.pem")
	run(t, "", "keygen", "--signer", other, "--alg", "Ed25519")
	_, otherPEM, _ := run(t, "", "pubkey", "--signer", other)
	code, out, errOut = execRun(t, "demo", "--orders", "50", "--signer", orders, "--venue-key", "pem:pub-source=file:"+writePublic(t, otherPEM), "--no-audit", "--json")
	if code != exitError || !strings.Contains(errOut, "is not the signer's key") {
		t.Errorf("demo --venue-key with another public key: exit %d: %s%s", code, out, errOut)
	}
}
