package main

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/service"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

// TestRemoteSoftHSM runs the conformance suite through the signing service
// on SoftHSM2 keys of every classical algorithm, so that the publickey
// checks (among them publickey/crypto-signer, through SignDigest) pass
// through remote for ECDSA, Ed25519 and RSA. The TLS keys of both sides are
// SoftHSM2 keys too (tls.key-uri; key-uri= percent-encoded in the remote
// URI), with certificates made by the cert command.
func TestRemoteSoftHSM(t *testing.T) {
	t.Setenv("TINYWINDOW_SIGNER", "")
	hsm, hsmQuery := softHSMToken(t)
	algs := map[string]string{"p256": "ECDSA-P256-SHA256", "p384": "ECDSA-P384-SHA384", "ed25519": "Ed25519", "rsa-pss": "RSA-PSS-SHA256", "rsa-pkcs1": "RSA-PKCS1-SHA256"}
	keys := "keys:\n"
	for name, alg := range algs {
		uri := hsm + name + hsmQuery
		if alg == "RSA-PKCS1-SHA256" {
			uri += "&alg=RSA-PKCS1-SHA256"
		}
		if code, _, errOut := run(t, "", "keygen", "--signer", uri, "--alg", alg); code != exitOK {
			t.Fatalf("keygen %s: %s", name, errOut)
		}
		keys += "  " + name + ": '" + uri + "'\n"
	}
	tlsKey, cliKey := hsm+"tls"+hsmQuery, hsm+"client-tls"+hsmQuery
	dir := t.TempDir()
	// Self-signed: each side trusts the other's certificate as its CA.
	srv, cli := filepath.Join(dir, "srv.pem"), filepath.Join(dir, "cli.pem")
	for _, c := range [][]string{
		{"keygen", "--signer", tlsKey, "--alg", "ECDSA-P256-SHA256"},
		{"keygen", "--signer", cliKey, "--alg", "Ed25519"},
		{"cert", "--signer", tlsKey, "--subject", "CN=signer", "--dns", "signer.test", "--server", "--out", srv},
		{"cert", "--signer", cliKey, "--subject", "CN=trader", "--client", "--out", cli},
	} {
		if code, _, errOut := run(t, "", c...); code != exitOK {
			t.Fatalf("%v: %s", c, errOut)
		}
	}
	cfg, err := service.ParseConfig([]byte("listen: 127.0.0.1:0\ntls: {cert: " + srv + ", key-uri: '" + tlsKey + "', client-ca: " + cli + "}\n" +
		keys + "clients:\n  - identity: trader\n    keys: ['*']\n    operations: [sign, verify]\n"))
	if err != nil {
		t.Fatal(err)
	}
	var log lockedBuffer
	_, addr := servicetest.Start(t, cfg, service.Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	escaped := strings.NewReplacer(";", "%3B", "?", "%3F", "&", "%26").Replace(cliKey)
	uri := func(key string) string {
		return "remote:addr=" + addr + ";key=" + key + "?ca-source=file:" + srv + "&cert-source=file:" + cli +
			"&key-uri=" + escaped + "&server-name=signer.test"
	}
	for name := range algs {
		t.Run(name, func(t *testing.T) {
			conformance.Test(t, conformance.Subject{Open: conformance.OpenURI(uri(name)), Goroutines: 2, OpsPerGoroutine: 2})
		})
	}
	if !strings.Contains(log.String(), "client-signature=ed25519 server-signature=ecdsa_secp256r1_sha256") {
		t.Errorf("the service did not log its handshakes:\n%s", log.String())
	}
}

// lockedBuffer is a bytes.Buffer safe for the service's log goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
