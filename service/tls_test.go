package service_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/service"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

// TestClientCertificateUsage runs real mutual-TLS handshakes against the
// service with client certificates of every kind: only one that names the
// clientAuth extended key usage signs. A certificate with no extended key
// usage at all, which crypto/x509 takes as allowing any usage, is refused,
// logged and counted like every refused handshake.
func TestClientCertificateUsage(t *testing.T) {
	ctx := context.Background()
	ca := servicetest.NewCA(t, "test CA")
	e := &env{ca: ca, server: ca.Server(t), trader: ca.Client(t, "trader")}
	var log bytes.Buffer
	var mu sync.Mutex
	e.srv, e.addr = servicetest.Start(t, e.config(t, "  orders: hmac:seed=42\n"),
		service.Options{Logger: slog.New(slog.NewJSONHandler(lockedWriter{&mu, &log}, nil))})
	other := servicetest.NewCA(t, "other CA")
	for _, tc := range []struct {
		name   string
		issuer *servicetest.CA
		opts   servicetest.CertOptions
		ok     bool
		reason string // in the log of a refusal
	}{
		{"clientAuth", ca, servicetest.CertOptions{}, true, ""},
		{"clientAuth and serverAuth", ca, servicetest.CertOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}, true, ""},
		{"no extended key usage", ca, servicetest.CertOptions{ExtKeyUsage: []x509.ExtKeyUsage{}}, false, "clientAuth extended key usage"},
		{"any extended key usage", ca, servicetest.CertOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}, false, "clientAuth extended key usage"},
		{"serverAuth only", ca, servicetest.CertOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, false, "incompatible key usage"},
		{"expired", ca, servicetest.CertOptions{NotAfter: time.Now().Add(-time.Hour)}, false, "expired"},
		{"other CA", other, servicetest.CertOptions{}, false, "unknown authority"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.CommonName = "trader"
			cert := tc.issuer.Issue(t, "client-"+strings.ReplaceAll(tc.name, " ", "-"), tc.opts)
			u := "remote:addr=" + e.addr + ";key=orders?ca-source=file:" + ca.CertFile +
				"&cert-source=file:" + cert.CertFile + "&key-source=file:" + cert.KeyFile + "&retries=0"
			k, err := provider.Open(ctx, u)
			var sig []byte
			if err == nil {
				sig, err = k.Sign(ctx, []byte("order"))
				k.Close()
			}
			if tc.ok {
				if err != nil || len(sig) != 32 {
					t.Fatalf("a good client certificate: %x %v", sig, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("the handshake completed and the service signed: %x", sig)
			}
			mu.Lock()
			defer mu.Unlock()
			if s := log.String(); !strings.Contains(s, `"msg":"client certificate refused"`) || !strings.Contains(s, tc.reason) {
				t.Errorf("refusal not logged with %q: %s", tc.reason, s)
			}
			log.Reset()
		})
	}
}

// TestNamedPipeFiles: a named pipe as the config file, the certificate, the
// key or the client CA is refused at once, although no one ever writes to
// it.
func TestNamedPipeFiles(t *testing.T) {
	ca := servicetest.NewCA(t, "test CA")
	e := &env{ca: ca, server: ca.Server(t), trader: ca.Client(t, "trader")}
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	within := func(what string, f func() error) error {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- f() }()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatalf("%s is still blocked on the named pipe", what)
			return nil
		}
	}
	err := within("LoadConfig", func() error { _, err := service.LoadConfig(fifo); return err })
	if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), "named pipe") {
		t.Errorf("LoadConfig of a named pipe: %v", err)
	}
	for _, field := range []string{"cert", "key-source", "client-ca"} {
		cfg := e.config(t, "  orders: hmac:seed=42\n")
		switch field {
		case "cert":
			cfg.TLS.Cert = fifo
		case "key-source":
			cfg.TLS.KeySource = "file:" + fifo
		case "client-ca":
			cfg.TLS.ClientCA = fifo
		}
		err := within("New with tls."+field, func() error {
			srv, err := service.New(context.Background(), cfg, service.Options{Logger: slog.New(slog.DiscardHandler)})
			if err == nil {
				srv.Shutdown(context.Background())
			}
			return err
		})
		if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), "named pipe") {
			t.Errorf("tls.%s a named pipe: %v", field, err)
		}
	}
}
