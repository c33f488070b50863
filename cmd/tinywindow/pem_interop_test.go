package main

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	stdpem "encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/tinywindow/tinywindow/internal/testenv"
)

// needTool returns the path of a command the test runs, or ends the test (a
// failure under CI, where scripts/setup.d installs it).
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		testenv.Need(t, name, "install the Debian package "+pkg+" (scripts/setup.d/25-interop-tools.sh does)")
	}
	return p
}

// sh runs a command and fails the test if it fails.
func sh(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// opensslVerify returns the openssl command that verifies a signature of alg.
func opensslVerify(alg, pub, sig, msg string) []string {
	switch alg {
	case "Ed25519":
		return []string{"pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", msg, "-sigfile", sig}
	case "ECDSA-P256-SHA256", "RSA-PKCS1-SHA256":
		return []string{"dgst", "-sha256", "-verify", pub, "-signature", sig, msg}
	case "ECDSA-P384-SHA384":
		return []string{"dgst", "-sha384", "-verify", pub, "-signature", sig, msg}
	case "ECDSA-P521-SHA512":
		return []string{"dgst", "-sha512", "-verify", pub, "-signature", sig, msg}
	case "RSA-PSS-SHA256":
		// rsa_pss_saltlen:-1 is "as long as the hash": TinyWindow's rule.
		return []string{"dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-1", "-verify", pub, "-signature", sig, msg}
	}
	panic("no openssl verify command for " + alg)
}

// opensslSign returns the openssl command that signs msg with key for alg.
func opensslSign(alg, key, sig, msg string) []string {
	if alg == "Ed25519" {
		return []string{"pkeyutl", "-sign", "-inkey", key, "-rawin", "-in", msg, "-out", sig}
	}
	v := opensslVerify(alg, "", "", msg)
	out := []string{"dgst", v[1]}
	if alg == "RSA-PSS-SHA256" {
		// OpenSSL's default salt is the longest that fits; TinyWindow's
		// rule (docs/verification.md) is a salt as long as the hash.
		out = append(out, "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-1")
	}
	return append(out, "-sign", key, "-out", sig, msg)
}

// TestPEMInterop signs with keys made by OpenSSL and ssh-keygen, in every
// form they write, and has OpenSSL verify each signature with the public key
// that `tinywindow pubkey` prints; OpenSSL's own signatures verify with
// `tinywindow verify`; and the keys `tinywindow keygen` writes are read by
// OpenSSL, which derives the same public key.
func TestPEMInterop(t *testing.T) {
	openssl := needTool(t, "openssl", "openssl")
	sshKeygen := needTool(t, "ssh-keygen", "openssh-client")
	t.Setenv("TINYWINDOW_SIGNER", "")
	dir := t.TempDir()
	msg := filepath.Join(dir, "msg")
	os.WriteFile(msg, []byte("order 42: buy 100 XYZ @ 12.34"), 0o644)

	type keyCase struct {
		name, alg, extra string
		make             func(path string)
		fromOpenSSL      bool // openssl reads the private key too
	}
	genpkey := func(args ...string) func(string) {
		return func(p string) { sh(t, openssl, append([]string{"genpkey", "-out", p}, args...)...) }
	}
	sshgen := func(args ...string) func(string) {
		return func(p string) {
			sh(t, sshKeygen, append([]string{"-q", "-N", "", "-C", "tw-test", "-f", p}, args...)...)
		}
	}
	cases := []keyCase{
		{"openssl-ed25519-pkcs8", "Ed25519", "", genpkey("-algorithm", "ed25519"), true},
		{"openssl-p256-pkcs8", "ECDSA-P256-SHA256", "", genpkey("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"), true},
		{"openssl-p384-pkcs8", "ECDSA-P384-SHA384", "", genpkey("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"), true},
		{"openssl-p521-pkcs8", "ECDSA-P521-SHA512", "", genpkey("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"), true},
		{"openssl-p256-sec1-with-params", "ECDSA-P256-SHA256", "", func(p string) {
			sh(t, openssl, "ecparam", "-name", "prime256v1", "-genkey", "-out", p)
		}, true},
		{"openssl-p384-sec1", "ECDSA-P384-SHA384", "", func(p string) {
			genpkey("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384")(p + ".tmp")
			sh(t, openssl, "ec", "-in", p+".tmp", "-out", p)
		}, true},
		{"openssl-rsa-pkcs8-pss", "RSA-PSS-SHA256", "", genpkey("-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"), true},
		{"openssl-rsa-pkcs1-pkcs1v15", "RSA-PKCS1-SHA256", ";alg=RSA-PKCS1-SHA256", func(p string) {
			genpkey("-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")(p + ".tmp")
			sh(t, openssl, "rsa", "-in", p+".tmp", "-traditional", "-out", p)
		}, true},
		{"ssh-ed25519", "Ed25519", "", sshgen("-t", "ed25519"), false},
		{"ssh-ecdsa-256", "ECDSA-P256-SHA256", "", sshgen("-t", "ecdsa", "-b", "256"), false},
		{"ssh-ecdsa-384", "ECDSA-P384-SHA384", "", sshgen("-t", "ecdsa", "-b", "384"), false},
		{"ssh-ecdsa-521", "ECDSA-P521-SHA512", "", sshgen("-t", "ecdsa", "-b", "521"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			key := filepath.Join(d, "key")
			tc.make(key)
			if err := os.Chmod(key, 0o600); err != nil {
				t.Fatal(err)
			}
			uri := "pem:key-source=file:" + key + tc.extra
			code, pub, errOut := run(t, "", "pubkey", "--signer", uri)
			if code != 0 {
				t.Fatalf("pubkey: %s", errOut)
			}
			pubFile := filepath.Join(d, "pub.pem")
			os.WriteFile(pubFile, []byte(pub), 0o644)
			// The public key OpenSSL (or ssh-keygen) derives is ours.
			var theirs []byte
			if tc.fromOpenSSL {
				theirs = sh(t, openssl, "pkey", "-in", key, "-pubout")
			} else {
				// ssh-keygen -y derives the public key from the private
				// one, in OpenSSH's format: compare ours in that format.
				theirs = bytes.Fields(sh(t, sshKeygen, "-y", "-f", key))[1]
				b, _ := stdpem.Decode([]byte(pub))
				parsed, err := x509.ParsePKIXPublicKey(b.Bytes)
				if err != nil {
					t.Fatal(err)
				}
				sp, err := ssh.NewPublicKey(parsed)
				if err != nil {
					t.Fatal(err)
				}
				pub = base64.StdEncoding.EncodeToString(sp.Marshal())
			}
			if !bytes.Equal(theirs, []byte(pub)) {
				t.Fatalf("tinywindow pubkey:\n%s\nthe tool's public key:\n%s", pub, theirs)
			}
			code, sigHex, errOut := run(t, "", "sign", "--signer", uri, "--in", msg)
			if code != 0 {
				t.Fatalf("sign: %s", errOut)
			}
			sig, err := hex.DecodeString(strings.TrimSpace(sigHex))
			if err != nil {
				t.Fatal(err)
			}
			sigFile := writeTemp(t, d, "sig", sig)
			if out, err := exec.Command(openssl, opensslVerify(tc.alg, pubFile, sigFile, msg)...).CombinedOutput(); err != nil {
				t.Fatalf("openssl rejects tinywindow's %s signature: %v\n%s", tc.alg, err, out)
			}
			other := writeTemp(t, d, "other-msg", []byte("order 43: buy 100 XYZ @ 12.34"))
			if out, err := exec.Command(openssl, opensslVerify(tc.alg, pubFile, sigFile, other)...).CombinedOutput(); err == nil {
				t.Fatalf("openssl accepts the signature for another message:\n%s", out)
			}
			if !tc.fromOpenSSL {
				return
			}
			theirSig := filepath.Join(d, "their-sig")
			sh(t, openssl, opensslSign(tc.alg, key, theirSig, msg)...)
			raw, _ := os.ReadFile(theirSig)
			if code, _, errOut := run(t, "", "verify", "--signer", uri, "--in", msg, "--sig", hex.EncodeToString(raw)); code != exitOK {
				t.Fatalf("tinywindow verify rejects openssl's %s signature: exit %d, %s", tc.alg, code, errOut)
			}
			if code, _, _ := run(t, "", "verify", "--signer", uri, "--in", other, "--sig", hex.EncodeToString(raw)); code != exitInvalid {
				t.Fatalf("tinywindow verify of openssl's signature over another message: exit %d, want %d", code, exitInvalid)
			}
			if tc.alg == "RSA-PSS-SHA256" {
				// OpenSSL's default RSA-PSS salt (the longest that fits)
				// breaks the shared rule, so it is invalid, as on every backend.
				maxSalt := filepath.Join(d, "max-salt-sig")
				sh(t, openssl, "dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:max", "-sign", key, "-out", maxSalt, msg)
				raw, _ := os.ReadFile(maxSalt)
				if code, _, _ := run(t, "", "verify", "--signer", uri, "--in", msg, "--sig", hex.EncodeToString(raw)); code != exitInvalid {
					t.Fatalf("tinywindow verify of openssl's longest-salt RSA-PSS signature: exit %d, want %d (salt must be 32 bytes)", code, exitInvalid)
				}
			}
		})
	}

	for _, alg := range []string{"Ed25519", "ECDSA-P256-SHA256", "ECDSA-P384-SHA384", "ECDSA-P521-SHA512", "RSA-PSS-SHA256"} {
		t.Run("keygen-"+alg, func(t *testing.T) {
			if strings.HasPrefix(alg, "RSA") && testing.Short() {
				t.Skip("RSA-3072 key generation is slow; skipped with -short")
			}
			out := filepath.Join(t.TempDir(), "new.pem")
			code, id, errOut := run(t, "", "keygen", "--alg", alg, "--out", out)
			if code != 0 {
				t.Fatalf("keygen: %s", errOut)
			}
			if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("keygen --out: %v, mode %v; want 0600", err, st.Mode().Perm())
			}
			data, _ := os.ReadFile(out)
			if !bytes.HasPrefix(data, []byte("-----BEGIN PRIVATE KEY-----\n")) {
				t.Fatalf("keygen --out wrote no PKCS#8 PEM: %.30q", data)
			}
			if !strings.Contains(errOut, "open it as pem:alg="+alg+";key-source=file:"+out) {
				t.Errorf("keygen does not say how to open the key: %q", errOut)
			}
			theirs := sh(t, openssl, "pkey", "-in", out, "-pubout")
			code, pub, _ := run(t, "", "pubkey", "--signer", "pem:key-source=file:"+out)
			if code != 0 || pub != string(theirs) {
				t.Fatalf("openssl derives\n%s\nfrom the keygen file; tinywindow pubkey says\n%s", theirs, pub)
			}
			code, id2, _ := run(t, "m", "sign", "--signer", "pem:key-source=file:"+out)
			if code != 0 || id2 == "" || strings.TrimSpace(id) == "" {
				t.Fatalf("sign with the new key: exit %d", code)
			}
		})
	}
}

func writeTemp(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
