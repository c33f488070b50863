//go:build go1.27

package main

import (
	"bytes"
	"context"
	"crypto/fips140"
	"crypto/mldsa"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/provider"
)

// runTB runs the command in-process, failing tb unless it exits 0.
func runTB(tb testing.TB, args ...string) {
	tb.Helper()
	var out, errOut bytes.Buffer
	if code := runMain(context.Background(), &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}, args); code != exitOK {
		tb.Fatalf("%v: exit %d: %s", args, code, errOut.String())
	}
}

// TestCertMLDSA makes an ML-DSA-65 CA (std engine), a server and a client
// certificate (ML-DSA-44 with circl, std in FIPS 140-3 mode; ML-DSA-87 with
// std) and a CSR from pqc
// seed files, and checks with crypto/x509 that the chain verifies.
func TestCertMLDSA(t *testing.T) {
	dir := t.TempDir()
	caKey := "pqc:alg=ML-DSA-65;engine=std;seed-source=file:" + writeSeed(t, 32, 1)
	srvEngine := "circl"
	if fips140.Enabled() {
		srvEngine = "std" // circl is refused in FIPS 140-3 mode
	}
	srvKey := "pqc:alg=ML-DSA-44;engine=" + srvEngine + ";seed-source=file:" + writeSeed(t, 32, 2)
	cliKey := "pqc:alg=ML-DSA-87;engine=std;mode=deterministic;seed-source=file:" + writeSeed(t, 32, 3)
	ca, srv, cli, csr := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "srv.pem"), filepath.Join(dir, "cli.pem"), filepath.Join(dir, "cli.csr")
	runTB(t, "cert", "--signer", caKey, "--subject", "CN=PQ CA,O=TinyWindow", "--ca", "--out", ca)
	runTB(t, "cert", "--signer", srvKey, "--subject", "CN=orders", "--dns", "orders.internal", "--server", "--ca-signer", caKey, "--ca-cert", ca, "--out", srv)
	runTB(t, "cert", "--signer", cliKey, "--subject", "CN=desk 7", "--client", "--ca-signer", caKey, "--ca-cert", ca, "--out", cli)
	runTB(t, "csr", "--signer", cliKey, "--subject", "CN=desk 7", "--out", csr)

	caCert, srvCert, cliCert := readCert(t, ca), readCert(t, srv), readCert(t, cli)
	for _, c := range []struct {
		cert *x509.Certificate
		alg  x509.SignatureAlgorithm
		key  mldsa.Parameters
	}{{caCert, x509.MLDSA65, mldsa.MLDSA65()}, {srvCert, x509.MLDSA65, mldsa.MLDSA44()}, {cliCert, x509.MLDSA65, mldsa.MLDSA87()}} {
		if c.cert.SignatureAlgorithm != c.alg {
			t.Errorf("%s: signature algorithm %v, want %v", c.cert.Subject, c.cert.SignatureAlgorithm, c.alg)
		}
		if pk, ok := c.cert.PublicKey.(*mldsa.PublicKey); !ok || pk.Parameters() != c.key {
			t.Errorf("%s: public key %T", c.cert.Subject, c.cert.PublicKey)
		}
	}
	roots := x509.NewCertPool()
	roots.AddCert(caCert)
	if _, err := srvCert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "orders.internal"}); err != nil {
		t.Errorf("server chain: %v", err)
	}
	if _, err := cliCert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client chain: %v", err)
	}
	req, err := x509.ParseCertificateRequest(readPEM(t, csr, "CERTIFICATE REQUEST"))
	if err != nil {
		t.Fatal(err)
	}
	if err := req.CheckSignature(); err != nil || !req.PublicKey.(*mldsa.PublicKey).Equal(cliCert.PublicKey) {
		t.Errorf("CSR: %v", err)
	}

	// A CA certificate that is not --ca-signer's.
	out := filepath.Join(dir, "x.pem")
	code, _, errOut := run(t, "", "cert", "--signer", srvKey, "--subject", "CN=x", "--ca-signer", cliKey, "--ca-cert", ca, "--out", out)
	if code != exitError || !strings.Contains(errOut, "does not hold the public key") {
		t.Errorf("mismatched CA: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("mismatched CA: a file was written")
	}
}

// tlsPair makes, with the cert command, a CA and server and client
// certificates for keys opened from the given URIs, and returns TLS 1.3
// configurations for mutual TLS with X25519MLKEM768.
func tlsPair(tb testing.TB, caURI, srvURI, cliURI string) (server, client *tls.Config) {
	tb.Helper()
	dir := tb.TempDir()
	ca, srv, cli := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "srv.pem"), filepath.Join(dir, "cli.pem")
	runTB(tb, "cert", "--signer", caURI, "--subject", "CN=CA", "--ca", "--out", ca)
	runTB(tb, "cert", "--signer", srvURI, "--subject", "CN=server", "--dns", "server.test", "--server", "--ca-signer", caURI, "--ca-cert", ca, "--out", srv)
	runTB(tb, "cert", "--signer", cliURI, "--subject", "CN=client", "--client", "--ca-signer", caURI, "--ca-cert", ca, "--out", cli)
	certFor := func(uri, path string) tls.Certificate {
		k, err := provider.Open(context.Background(), uri)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { k.Close() })
		cs, err := provider.CryptoSigner(context.Background(), k)
		if err != nil {
			tb.Fatal(err)
		}
		return tls.Certificate{Certificate: [][]byte{readPEM(tb, path, "CERTIFICATE")}, PrivateKey: cs}
	}
	pool := x509.NewCertPool()
	pool.AddCert(mustParse(tb, readPEM(tb, ca, "CERTIFICATE")))
	groups := []tls.CurveID{tls.X25519MLKEM768}
	server = &tls.Config{
		MinVersion: tls.VersionTLS13, CurvePreferences: groups, SessionTicketsDisabled: true,
		Certificates: []tls.Certificate{certFor(srvURI, srv)}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool,
	}
	client = &tls.Config{
		MinVersion: tls.VersionTLS13, CurvePreferences: groups, ServerName: "server.test",
		Certificates: []tls.Certificate{certFor(cliURI, cli)}, RootCAs: pool,
	}
	return server, client
}

func mustParse(tb testing.TB, der []byte) *x509.Certificate {
	tb.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// handshake runs one mutual-TLS handshake over ln and returns the client's
// view of the connection.
func handshake(ln net.Listener, server, client *tls.Config) (tls.ConnectionState, error) {
	errc := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			errc <- err
			return
		}
		defer c.Close()
		errc <- tls.Server(c, server).Handshake()
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer raw.Close()
	c := tls.Client(raw, client)
	if err := c.Handshake(); err != nil {
		<-errc
		return tls.ConnectionState{}, err
	}
	if err := <-errc; err != nil {
		return tls.ConnectionState{}, err
	}
	return c.ConnectionState(), nil
}

// TestTLSMLDSA runs a mutual-TLS handshake with ML-DSA-65 certificates made
// by the cert command, keys in pqc seed files signing through the
// crypto.Signer adapter, and checks the post-quantum key exchange and
// certificates were used.
func TestTLSMLDSA(t *testing.T) {
	key := func(salt byte) string { return "pqc:alg=ML-DSA-65;seed-source=file:" + writeSeed(t, 32, salt) }
	server, client := tlsPair(t, key(10), key(11), key(12))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	st, err := handshake(ln, server, client)
	if err != nil {
		t.Fatalf("ML-DSA-65 mutual TLS handshake: %v", err)
	}
	if st.CurveID != tls.X25519MLKEM768 || st.Version != tls.VersionTLS13 {
		t.Errorf("negotiated %v over %x, want X25519MLKEM768 over TLS 1.3", st.CurveID, st.Version)
	}
	if _, ok := st.PeerCertificates[0].PublicKey.(*mldsa.PublicKey); !ok {
		t.Errorf("server certificate key %T", st.PeerCertificates[0].PublicKey)
	}
	// A client whose certificate is of another CA is refused.
	_, other := tlsPair(t, key(20), key(21), key(22))
	other.RootCAs = client.RootCAs
	if _, err := handshake(ln, server, other); err == nil {
		t.Error("a client certificate of another CA was accepted")
	}
}

// BenchmarkTLSHandshake times full mutual-TLS 1.3 handshakes (X25519MLKEM768,
// no resumption, both sides in this process) over loopback with certificates
// made by the cert command: ECDSA P-256 keys in memory (ectest), and ML-DSA-65
// keys from pqc seed files with the circl and the std engine, all signing
// through provider.CryptoSigner. Each iteration runs one handshake of each
// kind, in turn, so that all see the same machine load; it reports the
// median and 99th percentile of each, and the ML-DSA medians as a ratio to
// ECDSA's.
func BenchmarkTLSHandshake(b *testing.B) {
	seed := func(salt byte) string { return writeSeed(b, 32, salt) }
	kinds := []struct{ name, ca, srv, cli string }{
		{"ECDSA-P256", "ectest:seed=ca", "ectest:seed=srv", "ectest:seed=cli"},
		{"ML-DSA-65-circl", "pqc:engine=circl;seed-source=file:" + seed(1), "pqc:engine=circl;seed-source=file:" + seed(2), "pqc:engine=circl;seed-source=file:" + seed(3)},
		{"ML-DSA-65-std", "pqc:engine=std;seed-source=file:" + seed(1), "pqc:engine=std;seed-source=file:" + seed(2), "pqc:engine=std;seed-source=file:" + seed(3)},
	}
	if fips140.Enabled() {
		kinds = slices.DeleteFunc(kinds, func(k struct{ name, ca, srv, cli string }) bool { return strings.Contains(k.name, "circl") })
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	servers, clients := make([]*tls.Config, len(kinds)), make([]*tls.Config, len(kinds))
	for i, k := range kinds {
		servers[i], clients[i] = tlsPair(b, k.ca, k.srv, k.cli)
	}
	times := make([][]time.Duration, len(kinds))
	n := 0
	for b.Loop() {
		for j := range kinds {
			i := (n + j) % len(kinds)
			start := time.Now()
			if _, err := handshake(ln, servers[i], clients[i]); err != nil {
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
