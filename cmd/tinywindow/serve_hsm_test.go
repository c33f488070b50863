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
// through remote for ECDSA, Ed25519 and RSA; the service's TLS key is itself
// a SoftHSM2 key (tls.key-uri) with a certificate made by the cert command.
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
	tlsKey := hsm + "tls" + hsmQuery
	if code, _, errOut := run(t, "", "keygen", "--signer", tlsKey, "--alg", "ECDSA-P256-SHA256"); code != exitOK {
		t.Fatalf("keygen tls: %s", errOut)
	}
	dir := t.TempDir()
	srv := filepath.Join(dir, "srv.pem") // self-signed: the client trusts it as its CA
	if code, _, errOut := run(t, "", "cert", "--signer", tlsKey, "--subject", "CN=signer", "--dns", "signer.test", "--server", "--out", srv); code != exitOK {
		t.Fatalf("cert: %s", errOut)
	}
	clientCA := servicetest.NewCA(t, "clients")
	trader := clientCA.Client(t, "trader")
	cfg, err := service.ParseConfig([]byte("listen: 127.0.0.1:0\ntls: {cert: " + srv + ", key-uri: '" + tlsKey + "', client-ca: " + clientCA.CertFile + "}\n" +
		keys + "clients:\n  - identity: trader\n    keys: ['*']\n    operations: [sign, verify]\n"))
	if err != nil {
		t.Fatal(err)
	}
	var log lockedBuffer
	_, addr := servicetest.Start(t, cfg, service.Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	uri := func(key string) string {
		return "remote:addr=" + addr + ";key=" + key + "?ca-source=file:" + srv + "&cert-source=file:" + trader.CertFile +
			"&key-source=file:" + trader.KeyFile + "&server-name=signer.test"
	}
	for name := range algs {
		t.Run(name, func(t *testing.T) {
			conformance.Test(t, conformance.Subject{Open: conformance.OpenURI(uri(name)), Goroutines: 2, OpsPerGoroutine: 2})
		})
	}
	if !strings.Contains(log.String(), "server-signature=ecdsa_secp256r1_sha256") {
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
