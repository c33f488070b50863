package service_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/service"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

// TestTypedIdentities: a configured identity matches only certificate names
// of its kind. A certificate issued by the trusted CA with the DNS SAN, URI
// SAN or e-mail SAN "trader-1" (and a CN of its own) cannot call as the
// client configured as the bare name — the CN — "trader-1", and a CN cannot
// call as a SAN.
func TestTypedIdentities(t *testing.T) {
	ctx := context.Background()
	ca := servicetest.NewCA(t, "test CA")
	e := &env{ca: ca, server: ca.Server(t), trader: ca.Client(t, "trader")}
	clients := func(ids ...string) string {
		var y string
		for _, id := range ids {
			y += "  - identity: '" + id + "'\n    keys: [orders]\n    operations: [sign]\n"
		}
		return y
	}
	e.srv, e.addr = servicetest.Start(t, e.config(t, "  orders: hmac:seed=42\n",
		clients("trader-1", "dns:risk.example", "uri:spiffe://example.org/risk", "email:ops@example.org")), service.Options{})

	for _, tc := range []struct {
		name string
		cert servicetest.CertOptions
		ok   bool
	}{
		{"CN trader-1", servicetest.CertOptions{CommonName: "trader-1"}, true},
		{"DNS SAN trader-1", servicetest.CertOptions{CommonName: "mallory", DNSNames: []string{"trader-1"}}, false},
		{"URI SAN trader-1", servicetest.CertOptions{CommonName: "mallory", URIs: []string{"trader-1"}}, false},
		{"e-mail SAN trader-1", servicetest.CertOptions{CommonName: "mallory", EmailAddresses: []string{"trader-1"}}, false},
		{"DNS SAN risk.example", servicetest.CertOptions{CommonName: "mallory", DNSNames: []string{"risk.example"}}, true},
		{"DNS SAN in capitals", servicetest.CertOptions{CommonName: "mallory", DNSNames: []string{"RISK.example"}}, true},
		{"CN risk.example", servicetest.CertOptions{CommonName: "risk.example"}, false},
		{"CN dns:risk.example", servicetest.CertOptions{CommonName: "dns:risk.example"}, false},
		{"URI SAN", servicetest.CertOptions{CommonName: "mallory", URIs: []string{"spiffe://example.org/risk"}}, true},
		{"CN of the URI", servicetest.CertOptions{CommonName: "spiffe://example.org/risk"}, false},
		{"DNS SAN of the URI's host", servicetest.CertOptions{CommonName: "mallory", DNSNames: []string{"example.org"}}, false},
		{"e-mail SAN", servicetest.CertOptions{CommonName: "mallory", EmailAddresses: []string{"ops@example.org"}}, true},
		{"CN of the e-mail address", servicetest.CertOptions{CommonName: "ops@example.org"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cert := ca.Issue(t, "client", tc.cert)
			u := "remote:addr=" + e.addr + ";key=orders?ca-source=file:" + ca.CertFile +
				"&cert-source=file:" + cert.CertFile + "&key-source=file:" + cert.KeyFile + "&retries=0"
			k, err := provider.Open(ctx, u)
			if err == nil {
				_, err = k.Sign(ctx, []byte("order"))
				k.Close()
			}
			switch {
			case tc.ok && err != nil:
				t.Fatalf("a certificate with the configured name of the configured kind was refused: %v", err)
			case !tc.ok && !errors.Is(err, provider.ErrPermissionDenied):
				t.Fatalf("a certificate with a name of another kind: %v, want permission denied", err)
			}
		})
	}
}
