// Package servicetest helps test code that talks to a TinyWindow signing
// service: it makes a throwaway certificate authority with server and client
// certificates in a temporary directory, starts a service on loopback that
// the test stops when it ends, connects to it with a client certificate
// (CA.Conn), runs sign-and-verify load through key handles (Load), runs
// an OTLP trace collector (Collector) that records the spans a service
// exports, and runs a bare gRPC echo server with a service's TLS settings
// (StartEcho), the raw baseline of the service's benchmarks.
package servicetest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/tinywindow/tinywindow/service"
)

// TB is the part of testing.TB the helpers use; a *testing.T or
// *testing.B is one.
type TB interface {
	Helper()
	Fatal(args ...any)
	TempDir() string
	Cleanup(func())
	Log(args ...any)
}

// CA is a throwaway certificate authority whose files live in Dir.
type CA struct {
	Name string
	Dir  string
	// CertFile holds the CA certificate (PEM).
	CertFile string
	cert     *x509.Certificate
	key      *ecdsa.PrivateKey
}

// NewCA makes a CA named name, in a temporary directory of t.
func NewCA(t TB, name string) *CA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	ca := &CA{Name: name, Dir: t.TempDir(), cert: cert, key: key}
	ca.CertFile = filepath.Join(ca.Dir, "ca.pem")
	writeFile(t, ca.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	return ca
}

// Cert is an issued certificate and its key, as PEM files.
type Cert struct {
	CertFile, KeyFile string
}

// CertOptions say what to issue.
type CertOptions struct {
	// CommonName is the subject CN.
	CommonName string
	// DNSNames and IPs are SANs; URIs are URI SANs such as
	// spiffe://example.org/trader; EmailAddresses are e-mail SANs.
	DNSNames       []string
	IPs            []net.IP
	URIs           []string
	EmailAddresses []string
	// Server issues a server certificate; otherwise a client one.
	Server bool
	// NotAfter, if not zero, is the expiry (in the past for an expired
	// certificate); the default is a day from now.
	NotAfter time.Time
	// ExtKeyUsage, if not nil, replaces the extended key usage that Server
	// chooses (serverAuth or clientAuth); an empty, non-nil slice issues a
	// certificate with no extended key usage extension at all.
	ExtKeyUsage []x509.ExtKeyUsage
}

// Issue issues a certificate. The key file has mode 0600.
func (ca *CA) Issue(t TB, name string, o CertOptions) Cert {
	t.Helper()
	key := newKey(t)
	usage := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	if o.Server {
		usage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	if o.ExtKeyUsage != nil {
		usage = o.ExtKeyUsage
	}
	notAfter := o.NotAfter
	if notAfter.IsZero() {
		notAfter = time.Now().Add(24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(t),
		Subject:      pkix.Name{CommonName: o.CommonName},
		NotBefore:    time.Now().Add(-2 * time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  usage,
		DNSNames:     o.DNSNames,
		IPAddresses:  o.IPs,

		EmailAddresses: o.EmailAddresses,
	}
	for _, s := range o.URIs {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = append(tmpl.URIs, u)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c := Cert{CertFile: filepath.Join(ca.Dir, name+".pem"), KeyFile: filepath.Join(ca.Dir, name+".key")}
	writeFile(t, c.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	writeFile(t, c.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	return c
}

// Server issues a server certificate for 127.0.0.1 and localhost.
func (ca *CA) Server(t TB) Cert {
	return ca.Issue(t, "server", CertOptions{CommonName: "tinywindow-signer", DNSNames: []string{"localhost"},
		IPs: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, Server: true})
}

// Client issues a client certificate whose CN is identity.
func (ca *CA) Client(t TB, identity string) Cert {
	return ca.Issue(t, "client-"+identity, CertOptions{CommonName: identity})
}

// TLS returns the tls section of a service config serving with srv and
// trusting client certificates of ca.
func (ca *CA) TLS(srv Cert) service.TLSConfig {
	return service.TLSConfig{Cert: srv.CertFile, KeySource: "file:" + srv.KeyFile, ClientCA: ca.CertFile}
}

// Query returns the query attributes of a remote URI that trusts ca for the
// service and presents client.
func (ca *CA) Query(client Cert) string {
	return "ca-source=file:" + ca.CertFile + "&cert-source=file:" + client.CertFile + "&key-source=file:" + client.KeyFile
}

// Conn connects to the service at addr with mutual TLS, trusting ca for the
// service's certificate and presenting client; it closes when the test ends.
// It is for calling the gRPC API directly, including the health and
// reflection services.
func (ca *CA) Conn(t TB, addr string, client Cert) *grpc.ClientConn {
	t.Helper()
	caPEM, err := os.ReadFile(ca.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cert, err := tls.LoadX509KeyPair(client.CertFile, client.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{
		MinVersion: tls.VersionTLS13, RootCAs: pool, Certificates: []tls.Certificate{cert},
	})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// Start starts a service with cfg on a free loopback port (cfg.Listen is
// ignored) and returns it with its address. The service is shut down when
// the test ends.
func Start(t TB, cfg *service.Config, opts service.Options) (*service.Server, string) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	srv, err := service.New(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(lis) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	})
	return srv, lis.Addr().String()
}

// testWriter sends the service's log to the test's log.
type testWriter struct{ t TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

func newKey(t TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func serial(t TB) *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func writeFile(t TB, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
