//go:build go1.27

package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/service"
)

// TestRequirePostQuantumClassical: tls.require-post-quantum refuses a
// classical server certificate, and a client with require-post-quantum=true
// refuses a service with one.
func TestRequirePostQuantumClassical(t *testing.T) {
	e := newEnv(t, "  orders: hmac:seed=1\n")
	cfg := e.config(t, "  orders: hmac:seed=1\n")
	cfg.TLS.RequirePostQuantum = true
	if _, err := service.New(context.Background(), cfg, service.Options{}); !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), "not ML-DSA") {
		t.Errorf("tls.require-post-quantum with an ECDSA certificate: %v", err)
	}
	k, err := provider.Open(context.Background(), "remote:addr="+e.addr+";key=orders?"+e.ca.Query(e.trader)+"&require-post-quantum=true")
	if err == nil {
		k.Close()
		t.Fatal("require-post-quantum=true: a service with an ECDSA certificate was accepted")
	}
	if !strings.Contains(err.Error(), "not ML-DSA") {
		t.Errorf("require-post-quantum=true to a classical service: %v", err)
	}
}
