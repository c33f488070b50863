package service_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/internal/ectest"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/service"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

func init() { ectest.Register() }

// selfSigned writes a self-signed certificate for the key at keyURI, made
// through provider.CryptoSigner, and returns its path.
func selfSigned(t *testing.T, keyURI, cn string, usage x509.ExtKeyUsage) string {
	t.Helper()
	ctx := context.Background()
	k, err := provider.Open(ctx, keyURI)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	cs, err := provider.CryptoSigner(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
		ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, cs.Public(), cs)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), cn+".pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTLSKeyURI: the service's and the client's TLS keys are provider keys
// (tls.key-uri, key-uri=) that sign each handshake through
// provider.CryptoSigner; the service logs the handshake's group and
// signature schemes. A key-uri whose key is not the certificate's is
// refused.
func TestTLSKeyURI(t *testing.T) {
	ctx := context.Background()
	srvCert := selfSigned(t, "ectest:seed=server", "server", x509.ExtKeyUsageServerAuth)
	cliCert := selfSigned(t, "ectest:seed=client", "trader", x509.ExtKeyUsageClientAuth)
	yaml := func(keyURI string) string {
		return "listen: 127.0.0.1:0\ntls: {cert: " + srvCert + ", key-uri: '" + keyURI + "', client-ca: " + cliCert + "}\n" +
			"keys:\n  orders: hmac:seed=1\nclients:\n  - identity: trader\n    keys: [orders]\n    operations: [sign, verify]\n"
	}
	cfg, err := service.ParseConfig([]byte(yaml("ectest:seed=server")))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var log bytes.Buffer
	srv, addr := servicetest.Start(t, cfg, service.Options{Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &log}, nil))})
	k, err := provider.Open(ctx, "remote:addr="+addr+";key=orders?ca-source=file:"+srvCert+"&cert-source=file:"+cliCert+"&key-uri=ectest:seed=client")
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	sig, err := k.Sign(ctx, []byte("order 42"))
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Verify(ctx, []byte("order 42"), sig); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	logged := log.String()
	mu.Unlock()
	for _, want := range []string{"tls handshake", "identities=[cn:trader]", "group=" + tls.X25519MLKEM768.String(), "post-quantum-group=true",
		"client-signature=ecdsa_secp256r1_sha256", "server-signature=ecdsa_secp256r1_sha256"} {
		if !strings.Contains(logged, want) {
			t.Errorf("the log lacks %q:\n%s", want, logged)
		}
	}

	rec := httptest.NewRecorder()
	srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	want := `tinywindow_service_tls_handshakes_total{otel_scope_name="github.com/tinywindow/tinywindow/service",otel_scope_schema_url="",otel_scope_version="",tls_client_signature_scheme="ecdsa_secp256r1_sha256",tls_group="X25519MLKEM768",tls_server_signature_scheme="ecdsa_secp256r1_sha256"} 1`
	if !strings.Contains(rec.Body.String(), want) {
		t.Errorf("the metrics lack %s:\n%s", want, rec.Body.String())
	}

	// A reload opens the TLS key again for new connections and closes the
	// old one; the connection made before goes on.
	next, err := service.ParseConfig([]byte(yaml("ectest:seed=server")))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Reload(ctx, next); err != nil {
		t.Fatal(err)
	}
	k2, err := provider.Open(ctx, "remote:addr="+addr+";key=orders?ca-source=file:"+srvCert+"&cert-source=file:"+cliCert+"&key-uri=ectest:seed=client")
	if err != nil {
		t.Fatalf("a new connection after a reload: %v", err)
	}
	defer k2.Close()
	if _, err := k.Sign(ctx, []byte("order 43")); err != nil {
		t.Errorf("the connection made before the reload: %v", err)
	}

	// A client key that is not its certificate's.
	_, err = provider.Open(ctx, "remote:addr="+addr+";key=orders?ca-source=file:"+srvCert+"&cert-source=file:"+cliCert+"&key-uri=ectest:seed=other")
	if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), "not the one certificate") {
		t.Errorf("client key-uri of another key: %v", err)
	}
	// A server key that is not its certificate's.
	cfg, err = service.ParseConfig([]byte(yaml("ectest:seed=other")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := service.New(ctx, cfg, service.Options{}); !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), "not the one certificate") {
		t.Errorf("tls.key-uri of another key: %v", err)
	}
	// A MAC cannot sign a handshake.
	cfg, err = service.ParseConfig([]byte(yaml("hmac:seed=1")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := service.New(ctx, cfg, service.Options{}); !errors.Is(err, provider.ErrUnsupported) {
		t.Errorf("tls.key-uri of an HMAC key: %v", err)
	}
}
