package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/service"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

// TestKillResumeCLI: tinywindow kill and resume reach a service through a
// remote: URI with each client's certificate: the kill stops SignOrder,
// one identity's resume leaves it in force and a second one's lifts it,
// the same identity twice and a client without the permission are refused
// (exit 2), and each answer says the event is in the audit log.
func TestKillResumeCLI(t *testing.T) {
	ca := servicetest.NewCA(t, "kill CLI test CA")
	srv := ca.Server(t)
	y := "listen: 127.0.0.1:0\ntls:\n  cert: " + srv.CertFile + "\n  key-source: file:" + srv.KeyFile + "\n  client-ca: " + ca.CertFile +
		"\nkeys:\n  orders: {uri: 'hmac:seed=2', purpose: orders}\nclients:\n" +
		"  - identity: trader\n    keys: ['*']\n    operations: [SignOrder]\n" +
		"  - identity: risk-a\n    keys: ['*']\n    operations: [Kill, Resume]\n" +
		"  - identity: risk-b\n    keys: ['*']\n    operations: [Resume]\n" +
		"audit:\n  path: '" + filepath.Join(t.TempDir(), "audit.log") + "'\n  checkpoint-signer: 'hmac:seed=9'\n"
	cfg, err := service.ParseConfig([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	_, addr := servicetest.Start(t, cfg, service.Options{})
	trader := ca.Client(t, "trader")
	uri := func(c servicetest.Cert) string { return "remote:addr=" + addr + "?" + ca.Query(c) }
	riskA, riskB := uri(ca.Client(t, "risk-a")), uri(ca.Client(t, "risk-b"))
	sc := signerpb.NewSignerClient(ca.Conn(t, addr, trader))
	signs := func() bool {
		o := order.Order{ClientOrderID: "c-1", Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Market,
			Quantity: 1, TimeInForce: order.IOC, Timestamp: time.Now().UnixNano()}
		b, _ := o.MarshalBinary()
		_, err := sc.SignOrder(context.Background(), &signerpb.SignOrderRequest{Key: "orders", Order: b})
		return err == nil
	}
	steps := []struct {
		name  string
		args  []string
		code  int
		out   string // in stdout, or in stderr when code is not 0
		signs bool
	}{
		{"kill without the permission", []string{"kill", "--service", uri(trader), "--scope", "all", "--reason", "r"}, exitError, "PermissionDenied", true},
		{"kill of a malformed scope", []string{"kill", "--service", riskA, "--scope", "desk=1", "--reason", "r"}, exitError, "InvalidArgument", true},
		{"kill without a reason", []string{"kill", "--service", riskA, "--scope", "all"}, exitError, "--reason is empty", true},
		{"kill", []string{"kill", "--service", riskA, "--scope", "account=ACC-1", "--reason", "runaway algo"}, exitOK, "kill 1 (account=ACC-1) in force by cn:risk-a", false},
		{"first approval", []string{"resume", "--service", riskA, "--scope", "account=ACC-1", "--reason", "fixed"}, exitOK, "stays in force", false},
		{"same identity again", []string{"resume", "--service", riskA, "--scope", "account=ACC-1", "--reason", "fixed"}, exitError, "FailedPrecondition", false},
		{"second identity", []string{"resume", "--service", riskB, "--scope", "account=ACC-1", "--reason", "fixed"}, exitOK, "lifted, approved by cn:risk-a and cn:risk-b", true},
	}
	for _, s := range steps {
		code, out, errOut := run(t, "", s.args...)
		got := out
		if s.code != exitOK {
			got = errOut
		}
		if code != s.code || !strings.Contains(got, s.out) {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q; want exit %d saying %q", s.name, code, out, errOut, s.code, s.out)
		}
		if s.code == exitOK && !strings.Contains(out, "recorded in the service's audit log") {
			t.Errorf("%s: %q does not say it was recorded", s.name, out)
		}
		if signs() != s.signs {
			t.Fatalf("%s: SignOrder after it signs %v, want %v", s.name, !s.signs, s.signs)
		}
	}
}
