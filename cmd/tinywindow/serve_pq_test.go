//go:build go1.27

package main

import (
	"bytes"
	"context"
	"crypto/mldsa"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/service"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

// pqService is a service serving with an ML-DSA-65 certificate whose key is
// a pqc seed file (tls.key-uri) and tls.require-post-quantum, and the
// certificates, made by the cert command, of a client with an ML-DSA-65 key.
type pqService struct {
	srv          *service.Server
	addr         string
	log          *lockedBuffer
	dir, ca, cli string
	cliKey       string
	classical    servicetest.Cert // an ECDSA client of a CA the service also trusts
	classicalCA  string
	requirePQ    bool
}

func startPQService(t *testing.T, requirePQ bool) *pqService {
	t.Helper()
	dir := t.TempDir()
	caKey := "pqc:alg=ML-DSA-65;seed-source=file:" + writeSeed(t, 32, 11)
	srvKey := "pqc:alg=ML-DSA-65;seed-source=file:" + writeSeed(t, 32, 12)
	p := &pqService{dir: dir, requirePQ: requirePQ, log: &lockedBuffer{},
		cliKey: "pqc:alg=ML-DSA-65;seed-source=file:" + writeSeed(t, 32, 13)}
	p.ca, p.cli = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cli.pem")
	srv := filepath.Join(dir, "srv.pem")
	runTB(t, "cert", "--signer", caKey, "--subject", "CN=PQ CA", "--ca", "--out", p.ca)
	runTB(t, "cert", "--signer", srvKey, "--subject", "CN=signer", "--dns", "signer.test", "--server", "--ca-signer", caKey, "--ca-cert", p.ca, "--out", srv)
	runTB(t, "cert", "--signer", p.cliKey, "--subject", "CN=desk-7", "--client", "--ca-signer", caKey, "--ca-cert", p.ca, "--out", p.cli)

	classical := servicetest.NewCA(t, "classical CA")
	p.classical, p.classicalCA = classical.Client(t, "desk-7"), classical.CertFile
	caPEM, _ := os.ReadFile(p.ca)
	classicalPEM, _ := os.ReadFile(classical.CertFile)
	clientCA := filepath.Join(dir, "client-ca.pem")
	if err := os.WriteFile(clientCA, append(caPEM, classicalPEM...), 0o644); err != nil {
		t.Fatal(err)
	}
	yaml := "listen: 127.0.0.1:0\ntls:\n  cert: " + srv + "\n  key-uri: \"" + srvKey + "\"\n  client-ca: " + clientCA +
		"\n  require-post-quantum: " + map[bool]string{true: "true", false: "false"}[requirePQ] +
		"\nkeys:\n  orders: hmac:seed=42\n  pq: \"pqc:alg=ML-DSA-65;seed-source=file:" + writeSeed(t, 32, 14) + "\"\n" +
		"clients:\n  - identity: desk-7\n    keys: ['*']\n    operations: [sign, verify]\n"
	cfgPath := filepath.Join(dir, "service.yaml")
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := service.LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	p.srv, p.addr = servicetest.Start(t, cfg, service.Options{Logger: slog.New(slog.NewTextHandler(p.log, nil))})
	return p
}

// uri is the remote URI of key for the ML-DSA client, its TLS key a pqc
// seed file named by key-uri.
func (p *pqService) uri(key string, extra string) string {
	return "remote:addr=" + p.addr + ";key=" + key + "?ca-source=file:" + p.ca + "&cert-source=file:" + p.cli +
		"&key-uri=" + strings.ReplaceAll(p.cliKey, ";", "%3B") + "&server-name=signer.test" + extra
}

// TestServePostQuantumTLS: a handshake with ML-DSA-65 certificates on both
// sides, each key a pqc seed file, over X25519MLKEM768, then signing calls;
// the group and signature schemes are in the log and the metrics.
func TestServePostQuantumTLS(t *testing.T) {
	ctx := context.Background()
	p := startPQService(t, true)
	k, err := provider.Open(ctx, p.uri("orders", "&require-post-quantum=true"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	msg := []byte("order 42")
	sig, err := k.Sign(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Verify(ctx, msg, sig); err != nil {
		t.Fatal(err)
	}

	// The service's ML-DSA key, through the remote backend, is a
	// crypto.Signer with an *mldsa.PublicKey.
	pq, err := provider.Open(ctx, p.uri("pq", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer pq.Close()
	cs, err := provider.CryptoSigner(ctx, pq)
	if err != nil {
		t.Fatal(err)
	}
	pqSig, err := cs.Sign(nil, msg, &mldsa.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := mldsa.Verify(cs.Public().(*mldsa.PublicKey), msg, pqSig, nil); err != nil {
		t.Errorf("crypto/mldsa rejects the remote crypto.Signer's signature: %v", err)
	}

	for _, want := range []string{"msg=serving", "require-post-quantum=true", "tls handshake", "group=X25519MLKEM768", "post-quantum-group=true", "client-signature=mldsa65", "server-signature=mldsa65", "identities=[cn:desk-7]"} {
		if !strings.Contains(p.log.String(), want) {
			t.Errorf("the service's log lacks %q:\n%s", want, p.log.String())
		}
	}
	rec := httptest.NewRecorder()
	p.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{"tinywindow_service_tls_handshakes_total{", `tls_group="X25519MLKEM768"`, `tls_client_signature_scheme="mldsa65"`, `tls_server_signature_scheme="mldsa65"`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("the metrics lack %s:\n%s", want, body)
		}
	}
}

// TestServeRefusesClassicalClients: under tls.require-post-quantum the
// service refuses a client that offers only classical key exchange, and one
// whose certificate is ECDSA, and logs why; without it, it takes both.
func TestServeRefusesClassicalClients(t *testing.T) {
	for _, requirePQ := range []bool{true, false} {
		p := startPQService(t, requirePQ)
		caPEM, _ := os.ReadFile(p.ca)
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(caPEM)
		mldsaCert := func() tls.Certificate {
			k, err := provider.Open(context.Background(), p.cliKey)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { k.Close() })
			cs, err := provider.CryptoSigner(context.Background(), k)
			if err != nil {
				t.Fatal(err)
			}
			return tls.Certificate{Certificate: [][]byte{readPEM(t, p.cli, "CERTIFICATE")}, PrivateKey: cs}
		}()
		ecdsaCert, err := tls.LoadX509KeyPair(p.classical.CertFile, p.classical.KeyFile)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name   string
			cert   tls.Certificate
			groups []tls.CurveID
			logged string
		}{
			{"classical key exchange", mldsaCert, []tls.CurveID{tls.X25519, tls.CurveP256}, "offers no post-quantum key exchange"},
			{"ECDSA certificate", ecdsaCert, nil, "not ML-DSA"},
		} {
			t.Run(tc.name+map[bool]string{true: "/required", false: "/allowed"}[requirePQ], func(t *testing.T) {
				conn, err := tls.Dial("tcp", p.addr, &tls.Config{
					MinVersion: tls.VersionTLS13, RootCAs: roots, ServerName: "signer.test", NextProtos: []string{"h2"},
					Certificates: []tls.Certificate{tc.cert}, CurvePreferences: tc.groups,
				})
				if err == nil {
					// In TLS 1.3 the client learns of a refused
					// certificate on its first read: send the HTTP/2
					// preface and SETTINGS, to which the service answers.
					// The deadline only guards against a hang.
					conn.SetDeadline(time.Now().Add(time.Minute))
					if _, err = conn.Write([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")); err == nil {
						_, err = conn.Read(make([]byte, 1))
					}
					conn.Close()
				}
				if err != nil && strings.Contains(err.Error(), "timeout") {
					t.Fatalf("no answer: %v", err)
				}
				refused := err != nil
				if refused != requirePQ {
					t.Fatalf("refused %v (%v), want %v", refused, err, requirePQ)
				}
				if requirePQ && !strings.Contains(p.log.String(), tc.logged) {
					t.Errorf("the service did not log %q:\n%s", tc.logged, p.log.String())
				}
			})
		}
	}
}

// BenchmarkServeHandshake times full mutual-TLS handshakes with the signing
// service (X25519MLKEM768, no resumption, client and service in this
// process, over loopback): ECDSA P-256 certificates (ectest keys) against
// ML-DSA-65 ones (pqc seed files), all made by the cert command, every key
// on both sides named by key-uri and signing through provider.CryptoSigner.
// An iteration dials, completes the handshake and reads the service's first
// HTTP/2 frame (so the service has verified the client's certificate), once
// of each kind in turn; it reports the median and 99th percentile of each,
// and ML-DSA's median as a ratio to ECDSA's.
func BenchmarkServeHandshake(b *testing.B) {
	seed := func(salt byte) string { return "pqc:alg=ML-DSA-65;seed-source=file:" + writeSeed(b, 32, salt) }
	kinds := []struct{ name, ca, srv, cli string }{
		{"ECDSA-P256", "ectest:seed=ca", "ectest:seed=srv", "ectest:seed=cli"},
		{"ML-DSA-65", seed(21), seed(22), seed(23)},
	}
	clients, addrs := make([]*tls.Config, len(kinds)), make([]string, len(kinds))
	for i, k := range kinds {
		dir := b.TempDir()
		ca, srv, cli := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "srv.pem"), filepath.Join(dir, "cli.pem")
		runTB(b, "cert", "--signer", k.ca, "--subject", "CN=CA", "--ca", "--out", ca)
		runTB(b, "cert", "--signer", k.srv, "--subject", "CN=signer", "--dns", "signer.test", "--server", "--ca-signer", k.ca, "--ca-cert", ca, "--out", srv)
		runTB(b, "cert", "--signer", k.cli, "--subject", "CN=desk-7", "--client", "--ca-signer", k.ca, "--ca-cert", ca, "--out", cli)
		cfg, err := service.ParseConfig([]byte("listen: 127.0.0.1:0\ntls: {cert: " + srv + ", key-uri: '" + k.srv + "', client-ca: " + ca + "}\n" +
			"keys:\n  orders: hmac:seed=42\nclients:\n  - identity: desk-7\n    keys: ['*']\n    operations: [sign]\n"))
		if err != nil {
			b.Fatal(err)
		}
		_, addrs[i] = servicetest.Start(b, cfg, service.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		k, err := provider.Open(context.Background(), k.cli)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { k.Close() })
		cs, err := provider.CryptoSigner(context.Background(), k)
		if err != nil {
			b.Fatal(err)
		}
		roots := x509.NewCertPool()
		roots.AddCert(mustParse(b, readPEM(b, ca, "CERTIFICATE")))
		clients[i] = &tls.Config{
			MinVersion: tls.VersionTLS13, RootCAs: roots, ServerName: "signer.test", NextProtos: []string{"h2"},
			Certificates: []tls.Certificate{{Certificate: [][]byte{readPEM(b, cli, "CERTIFICATE")}, PrivateKey: cs}},
		}
	}
	preface := []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
	times := make([][]time.Duration, len(kinds))
	n := 0
	for b.Loop() {
		for j := range kinds {
			i := (n + j) % len(kinds)
			start := time.Now()
			conn, err := tls.Dial("tcp", addrs[i], clients[i])
			if err == nil {
				if _, err = conn.Write(preface); err == nil {
					_, err = conn.Read(make([]byte, 1))
				}
				conn.Close()
			}
			if err != nil {
				b.Fatalf("%s: %v", kinds[i].name, err)
			}
			times[i] = append(times[i], time.Since(start))
		}
		n++
	}
	p50 := make([]time.Duration, len(kinds))
	for i, k := range kinds {
		slices.Sort(times[i])
		p50[i] = times[i][len(times[i])/2]
		b.ReportMetric(float64(p50[i].Microseconds()), k.name+"-p50-µs")
		b.ReportMetric(float64(times[i][len(times[i])*99/100].Microseconds()), k.name+"-p99-µs")
		if i > 0 {
			b.ReportMetric(float64(p50[i])/float64(p50[0]), k.name+"/ECDSA-p50")
		}
	}
}
