package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/fips140"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/internal/ectest"
)

func init() { ectest.Register() }

// readPEM returns the DER of the single PEM block of path, of type want.
func readPEM(t testing.TB, path, want string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, rest := pem.Decode(data)
	if block == nil || block.Type != want || len(rest) != 0 {
		t.Fatalf("%s is not one PEM %s block: %q", path, want, data)
	}
	return block.Bytes
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(readPEM(t, path, "CERTIFICATE"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// writeSeed writes a hex seed file of mode 0600.
func writeSeed(t testing.TB, n int, salt byte) string {
	t.Helper()
	seed := make([]byte, n)
	for i := range seed {
		seed[i] = byte(i) ^ salt
	}
	path := filepath.Join(t.TempDir(), "seed")
	if err := os.WriteFile(path, []byte(hex.EncodeToString(seed)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCertECDSA makes a CA, a server and a client certificate and a CSR
// with in-memory ECDSA keys (the ectest scheme) and checks them with
// crypto/x509: the chain verifies for the names and usages asked for.
func TestCertECDSA(t *testing.T) {
	dir := t.TempDir()
	ca, srv, cli, csr := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "srv.pem"), filepath.Join(dir, "cli.pem"), filepath.Join(dir, "srv.csr")
	for _, args := range [][]string{
		{"cert", "--signer", "ectest:seed=ca", "--subject", "CN=Orders CA,O=TinyWindow", "--ca", "--days", "30", "--out", ca},
		{"cert", "--signer", "ectest:seed=srv", "--subject", "CN=orders", "--dns", "orders.internal", "--dns", "localhost", "--server",
			"--ca-signer", "ectest:seed=ca", "--ca-cert", ca, "--days", "3650", "--out", srv},
		{"cert", "--signer", "ectest:seed=cli", "--subject", `CN=desk 7,O=Trading\, Inc.,C=GB`, "--client", "--ca-signer", "ectest:seed=ca", "--ca-cert", ca, "--out", cli},
		{"csr", "--signer", "ectest:seed=srv", "--subject", "CN=orders,OU=Execution", "--dns", "orders.internal", "--out", csr},
	} {
		if code, _, errOut := run(t, "", args...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
	}
	caCert, srvCert, cliCert := readCert(t, ca), readCert(t, srv), readCert(t, cli)
	if !caCert.IsCA || caCert.KeyUsage&x509.KeyUsageCertSign == 0 || caCert.Subject.Organization[0] != "TinyWindow" {
		t.Errorf("CA certificate: IsCA %v, key usage %v, subject %v", caCert.IsCA, caCert.KeyUsage, caCert.Subject)
	}
	if err := caCert.CheckSignatureFrom(caCert); err != nil {
		t.Errorf("CA certificate is not self-signed: %v", err)
	}
	if cliCert.Subject.Organization[0] != "Trading, Inc." || cliCert.Subject.CommonName != "desk 7" {
		t.Errorf("client subject %v", cliCert.Subject)
	}
	if !srvCert.NotAfter.Equal(caCert.NotAfter) {
		t.Errorf("server certificate ends %v, after its CA's %v", srvCert.NotAfter, caCert.NotAfter)
	}
	roots := x509.NewCertPool()
	roots.AddCert(caCert)
	if _, err := srvCert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "orders.internal", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("server chain: %v", err)
	}
	if _, err := cliCert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client chain: %v", err)
	}
	if _, err := cliCert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err == nil {
		t.Error("a --client certificate verifies for server authentication")
	}
	req, err := x509.ParseCertificateRequest(readPEM(t, csr, "CERTIFICATE REQUEST"))
	if err != nil {
		t.Fatal(err)
	}
	if err := req.CheckSignature(); err != nil || req.Subject.CommonName != "orders" || req.DNSNames[0] != "orders.internal" {
		t.Errorf("CSR: %v, subject %v, names %v", err, req.Subject, req.DNSNames)
	}
	if !req.PublicKey.(*ecdsa.PublicKey).Equal(srvCert.PublicKey) {
		t.Error("the CSR and the certificate of one key hold different public keys")
	}
}

// caCertFile writes a CA certificate for a fresh crypto/ecdsa key, valid from
// notBefore to notAfter.
func caCertFile(t *testing.T, notBefore, notAfter time.Time) string {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "old CA"}, NotBefore: notBefore, NotAfter: notAfter,
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	return path
}

// TestCertBadInput checks that every bad request is exit 2 with a message
// saying what is wrong, and writes nothing.
func TestCertBadInput(t *testing.T) {
	t.Setenv("TINYWINDOW_SIGNER", "")
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if code, _, errOut := run(t, "", "cert", "--signer", "ectest:seed=ca", "--subject", "CN=CA", "--ca", "--out", ca); code != exitOK {
		t.Fatalf("CA: %s", errOut)
	}
	leaf := filepath.Join(dir, "leaf.pem")
	if code, _, errOut := run(t, "", "cert", "--signer", "ectest:seed=leaf", "--subject", "CN=leaf", "--out", leaf); code != exitOK {
		t.Fatalf("leaf: %s", errOut)
	}
	expired := caCertFile(t, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	future := caCertFile(t, time.Now().Add(24*time.Hour), time.Now().Add(48*time.Hour))
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not a certificate"), 0o644)
	hmacFile := filepath.Join(dir, "hmac.key")
	os.WriteFile(hmacFile, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	ctxSeed := writeSeed(t, 32, 1)
	slhRefusal := "cannot put a SLH-DSA-SHA2-128f public key"
	if fips140.Enabled() {
		slhRefusal = "not offered in FIPS 140-3 mode"
	}
	slhSeed := writeSeed(t, 48, 1)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"hmac csr", []string{"csr", "--signer", "hmac:seed=42", "--subject", "CN=x"}, "is a MAC and cannot sign a certificate"},
		{"hmac cert", []string{"cert", "--signer", "hmac:key-source=file:" + hmacFile, "--subject", "CN=x"}, "is a MAC and cannot sign a certificate"},
		{"hmac CA", []string{"cert", "--signer", "ectest:seed=a", "--subject", "CN=x", "--ca-signer", "hmac:seed=1", "--ca-cert", ca}, "is a MAC"},
		{"unknown attribute", []string{"cert", "--signer", "ectest:seed=a", "--subject", "CN=x,EMAIL=a@b"}, `unknown attribute "EMAIL"`},
		{"unknown attribute csr", []string{"csr", "--signer", "ectest:seed=a", "--subject", "CN=x,DC=com"}, `unknown attribute "DC"`},
		{"no CN", []string{"cert", "--signer", "ectest:seed=a", "--subject", "O=x"}, "no CN="},
		{"two CNs", []string{"cert", "--signer", "ectest:seed=a", "--subject", "CN=x,CN=y"}, "CN= given twice"},
		{"empty value", []string{"csr", "--signer", "ectest:seed=a", "--subject", "CN=x,O="}, "O= has no value"},
		{"not NAME=VALUE", []string{"csr", "--signer", "ectest:seed=a", "--subject", "CN=x,,O=y"}, "is not NAME=VALUE"},
		{"empty subject", []string{"csr", "--signer", "ectest:seed=a"}, "empty"},
		{"bad country", []string{"cert", "--signer", "ectest:seed=a", "--subject", "CN=x,C=GBR"}, "two-letter"},
		{"bad DNS name", []string{"cert", "--signer", "ectest:seed=a", "--subject", "CN=x", "--dns", "a b"}, "is not a DNS name"},
		{"CA not matching", []string{"cert", "--signer", "ectest:seed=a", "--subject", "CN=x", "--ca-signer", "ectest:seed=other", "--ca-cert", ca}, "does not hold the public key of --ca-signer"},
		{"CA cert not a CA", []string{"cert", "--signer", "ectest:seed=a", "--subject", "CN=x", "--ca-signer", "ectest:seed=leaf", "--ca-cert", leaf}, "is not a CA certificate"},
		{"expired CA", []string{"cert", "--signer", "ectest:seed=a", "--subject", "CN=x", "--ca-signer", "ectest:seed=ca", "--ca-cert", expired}, "expired on"},
		{"CA not yet valid", []string{"cert", "--signer", "ectest:seed=a", "--subject", "CN=x", "--ca-signer", "ectest:seed=ca", "--ca-cert", future}, "is not valid before"},
		{"CA cert garbage", []string{"cert", "--signer", "ectest:seed=a", "--subject", "CN=x", "--ca-signer", "ectest:seed=ca", "--ca-cert", garbage}, "no PEM CERTIFICATE"},
		{"CA cert missing", []string{"cert", "--signer", "ectest:seed=a", "--subject", "CN=x", "--ca-signer", "ectest:seed=ca", "--ca-cert", filepath.Join(dir, "nope.pem")}, "no such file"},
		{"CA signer without cert", []string{"cert", "--signer", "ectest:seed=a", "--subject", "CN=x", "--ca-signer", "ectest:seed=ca"}, "together"},
		{"ca and server", []string{"cert", "--signer", "ectest:seed=a", "--subject", "CN=x", "--ca", "--server"}, "takes neither"},
		{"days 0", []string{"cert", "--signer", "ectest:seed=a", "--subject", "CN=x", "--days", "0"}, "give 1 to 36500"},
		{"context-bound key", []string{"csr", "--signer", "pqc:seed-source=file:" + ctxSeed + ";ctx=orders", "--subject", "CN=x"}, "context string"},
		{"SLH-DSA", []string{"cert", "--signer", "pqc:alg=SLH-DSA-SHA2-128f;seed-source=file:" + slhSeed, "--subject", "CN=x"}, slhRefusal},
		{"no signer", []string{"csr", "--subject", "CN=x"}, "no signer"},
		{"existing file", []string{"cert", "--signer", "ectest:seed=a", "--subject", "CN=x"}, "never overwritten"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.pem")
			if tc.name == "existing file" {
				os.WriteFile(out, []byte("keep"), 0o644)
			}
			code, stdout, errOut := run(t, "", append(tc.args, "--out", out)...)
			if code != exitError || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 and %q", code, errOut, tc.want)
			}
			if stdout != "" {
				t.Errorf("stdout %q", stdout)
			}
			data, err := os.ReadFile(out)
			if tc.name == "existing file" {
				if string(data) != "keep" {
					t.Errorf("the existing file was changed: %q", data)
				}
			} else if !os.IsNotExist(err) {
				t.Errorf("%s was written", out)
			}
		})
	}
}
