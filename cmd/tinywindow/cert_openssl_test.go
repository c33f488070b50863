package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/internal/testenv"
)

// softHSMToken creates a SoftHSM2 token in a directory of the test's own and
// returns the pkcs11 URI prefix of its keys and the query they share.
func softHSMToken(t *testing.T) (prefix, query string) {
	t.Helper()
	how := "install the Debian package softhsm2 (scripts/setup.d/20-softhsm.sh does) and set TW_PKCS11_MODULE"
	mod := os.Getenv("TW_PKCS11_MODULE")
	if mod == "" {
		mod = "/usr/lib/softhsm/libsofthsm2.so"
	}
	if _, err := os.Stat(mod); err != nil {
		testenv.Need(t, "SoftHSM2 ("+err.Error()+")", how)
	}
	util, err := exec.LookPath("softhsm2-util")
	if err != nil {
		testenv.Need(t, "softhsm2-util", how)
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	os.Mkdir(tokens, 0o700)
	conf := filepath.Join(dir, "softhsm2.conf")
	os.WriteFile(conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600)
	t.Setenv("SOFTHSM2_CONF", conf)
	t.Setenv("TW_CERT_TEST_PIN", "1234")
	if out, err := exec.Command(util, "--init-token", "--free", "--label", "tw-cert", "--so-pin", "12345678", "--pin", "1234").CombinedOutput(); err != nil {
		t.Fatalf("softhsm2-util --init-token: %v: %s", err, out)
	}
	return "pkcs11:token=tw-cert;object=", "?module-path=" + mod + "&pin-source=env:TW_CERT_TEST_PIN"
}

// localKMS starts local-kms on a free port for the test and returns the
// awskms URI prefix of its keys and the query they share.
func localKMS(t *testing.T) (prefix, query string) {
	t.Helper()
	bin := os.Getenv("TW_LOCAL_KMS")
	if bin == "" {
		bin = "../../.tools/bin/local-kms"
	}
	if _, err := os.Stat(bin); err != nil {
		testenv.Need(t, "local-kms ("+err.Error()+")", "run `source scripts/setup.d/40-local-kms.sh` (it builds local-kms and exports TW_LOCAL_KMS)")
	}
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDTINYWINDOWTEST", "AWS_SECRET_ACCESS_KEY": "local-kms-does-not-check",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		"AWS_PROFILE": "", "AWS_SESSION_TOKEN": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_KMS": "",
	} {
		t.Setenv(k, v)
	}
	os.MkdirAll(filepath.Join(dir, "data"), 0o700)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT=0", "KMS_REGION=eu-west-2", "KMS_ACCOUNT_ID=111122223333",
		"KMS_DATA_PATH="+filepath.Join(dir, "data"), "KMS_SEED_PATH="+filepath.Join(dir, "no-seed.yaml"))
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); pw.Close() })
	port := make(chan string, 1)
	go func() {
		started := regexp.MustCompile(`Local KMS started on [0-9.]+:([0-9]+)`)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := started.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case port <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case p := <-port:
		return "awskms:region=eu-west-2;key-id=", "?endpoint=http://127.0.0.1:" + p
	case <-time.After(30 * time.Second):
		t.Fatal("local-kms did not start within 30 s")
	}
	return "", ""
}

// openssl runs openssl with args and returns its combined output.
func openssl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command("openssl", args...).CombinedOutput()
	return string(out), err
}

// TestCertOpenSSL makes certificates and requests for ECDSA, Ed25519 and RSA
// keys in SoftHSM2 and local-kms with the csr and cert commands, and has
// OpenSSL check them: openssl verify for each certificate chain (a SoftHSM
// ECDSA, Ed25519 and RSA-PSS CA and a local-kms ECDSA CA), openssl req
// -verify for each request.
//
// A local-kms RSA key is a certificate's subject here but signs nothing:
// local-kms signs RSA-PSS with the longest salt, where AWS KMS uses a salt
// as long as the hash, which is what crypto/x509 checks a signature it has
// just made against.
func TestCertOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		testenv.Need(t, "openssl", "install the Debian package openssl (scripts/setup.d/70-openssl-go127.sh does)")
	}
	if v, _ := openssl(t, "version"); !strings.HasPrefix(v, "OpenSSL 3.") {
		t.Fatalf("openssl version %q, want OpenSSL 3", v)
	}
	t.Setenv("TINYWINDOW_SIGNER", "")
	hsm, hsmQuery := softHSMToken(t)
	kms, kmsQuery := localKMS(t)
	keys := []struct {
		name, uri, alg string
		signs          bool
	}{
		{"hsm-p256", hsm + "p256" + hsmQuery, "ECDSA-P256-SHA256", true},
		{"hsm-p384", hsm + "p384" + hsmQuery, "ECDSA-P384-SHA384", true},
		{"hsm-ed25519", hsm + "ed25519" + hsmQuery, "Ed25519", true},
		{"hsm-rsa-pss", hsm + "rsa-pss" + hsmQuery, "RSA-PSS-SHA256", true},
		{"hsm-rsa-pkcs1", hsm + "rsa-pkcs1" + hsmQuery + "&alg=RSA-PKCS1-SHA256", "RSA-PKCS1-SHA256", true},
		{"kms-p256", kms + "alias/cert-p256" + kmsQuery, "ECDSA-P256-SHA256", true},
		{"kms-rsa", kms + "alias/cert-rsa" + kmsQuery, "RSA-PSS-SHA256", false},
	}
	for _, k := range keys {
		if code, _, errOut := run(t, "", "keygen", "--signer", k.uri, "--alg", k.alg); code != exitOK {
			t.Fatalf("keygen %s: %s", k.name, errOut)
		}
	}
	dir := t.TempDir()
	for _, ca := range []struct{ name, uri string }{{"hsm-p256", keys[0].uri}, {"hsm-ed25519", keys[2].uri}, {"hsm-rsa-pss", keys[3].uri}, {"kms-p256", keys[5].uri}} {
		caPEM := filepath.Join(dir, ca.name+"-ca.pem")
		if code, _, errOut := run(t, "", "cert", "--signer", ca.uri, "--subject", "CN=CA "+ca.name+",O=TinyWindow", "--ca", "--out", caPEM); code != exitOK {
			t.Fatalf("CA %s: %s", ca.name, errOut)
		}
		if out, err := openssl(t, "verify", "-CAfile", caPEM, caPEM); err != nil || !strings.Contains(out, ": OK") {
			t.Errorf("openssl verify of the self-signed %s CA: %v: %s", ca.name, err, out)
		}
		for _, k := range keys {
			t.Run(ca.name+"/"+k.name, func(t *testing.T) {
				leaf := filepath.Join(dir, ca.name+"-"+k.name+".pem")
				code, _, errOut := run(t, "", "cert", "--signer", k.uri, "--subject", "CN="+k.name+",O=TinyWindow", "--dns", k.name+".test",
					"--server", "--ca-signer", ca.uri, "--ca-cert", caPEM, "--out", leaf)
				if code != exitOK {
					t.Fatalf("cert: %s", errOut)
				}
				out, err := openssl(t, "verify", "-CAfile", caPEM, "-purpose", "sslserver", "-verify_hostname", k.name+".test", leaf)
				if err != nil || !strings.Contains(out, leaf+": OK") {
					t.Errorf("openssl verify: %v: %s", err, out)
				}
			})
		}
		// A CA certificate of another key is refused before anything is signed.
		other := keys[1].uri
		out := filepath.Join(dir, ca.name+"-mismatch.pem")
		if code, _, errOut := run(t, "", "cert", "--signer", keys[2].uri, "--subject", "CN=x", "--ca-signer", other, "--ca-cert", caPEM, "--out", out); code != exitError || !strings.Contains(errOut, "does not hold the public key") {
			t.Errorf("CA certificate of another key: exit %d, %q", code, errOut)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Error("mismatched CA: a file was written")
		}
	}
	for _, k := range keys {
		if !k.signs {
			continue
		}
		t.Run("csr/"+k.name, func(t *testing.T) {
			csr := filepath.Join(dir, k.name+".csr")
			if code, _, errOut := run(t, "", "csr", "--signer", k.uri, "--subject", "CN="+k.name+",O=TinyWindow,C=GB", "--dns", k.name+".test", "--out", csr); code != exitOK {
				t.Fatalf("csr: %s", errOut)
			}
			out, err := openssl(t, "req", "-verify", "-noout", "-in", csr)
			if err != nil || !strings.Contains(out, "verify OK") {
				t.Errorf("openssl req -verify: %v: %s", err, out)
			}
			subj, err := openssl(t, "req", "-noout", "-subject", "-in", csr)
			if err != nil || !strings.Contains(subj, fmt.Sprintf("CN = %s", k.name)) {
				t.Errorf("openssl req -subject: %v: %s", err, subj)
			}
		})
	}
}
