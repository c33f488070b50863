//go:build !go1.27

package service_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/pqc"
	"github.com/tinywindow/tinywindow/service"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

// TestRequirePostQuantumNeedsGo127: built with Go 1.26, which has no ML-DSA
// certificates, the service's and the client's require-post-quantum are
// refused, saying what they need.
func TestRequirePostQuantumNeedsGo127(t *testing.T) {
	y := "listen: 127.0.0.1:0\ntls: {cert: /x, key-source: 'file:/y', client-ca: /z, require-post-quantum: true}\n" +
		"keys:\n  orders: hmac:seed=1\nclients:\n  - identity: a\n    keys: [orders]\n    operations: [sign]\n"
	if _, err := service.ParseConfig([]byte(y)); !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "needs Go 1.27") {
		t.Errorf("tls.require-post-quantum: %v", err)
	}
	// An ML-DSA-65 certificate (made by tinywindow cert with Go 1.27 from
	// the seed 00…07) with its key from key-uri.
	seed := t.TempDir() + "/seed"
	os.WriteFile(seed, []byte(strings.Repeat("0", 63)+"7"), 0o600)
	ca := servicetest.NewCA(t, "test CA")
	y = "listen: 127.0.0.1:0\ntls: {cert: testdata/mldsa65-cert.pem, key-uri: 'pqc:alg=ML-DSA-65;seed-source=file:" + seed + "', client-ca: " + ca.CertFile + "}\n" +
		"keys:\n  orders: hmac:seed=1\nclients:\n  - identity: a\n    keys: [orders]\n    operations: [sign]\n"
	cfg, err := service.ParseConfig([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := service.New(context.Background(), cfg, service.Options{}); !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "needs Go 1.27") {
		t.Errorf("an ML-DSA certificate: %v", err)
	}

	e := newEnv(t, "  orders: hmac:seed=1\n")
	_, err = provider.Open(context.Background(), "remote:addr="+e.addr+";key=orders?"+e.ca.Query(e.trader)+"&require-post-quantum=true")
	if !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "needs Go 1.27") {
		t.Errorf("require-post-quantum=true: %v", err)
	}
}
