package remote_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/service"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

// fleet is several services on loopback with the same keys and clients,
// sharing one CA, as behind one DNS name.
type fleet struct {
	ca     *servicetest.CA
	trader servicetest.Cert
	srvs   []*service.Server
	addrs  []string
}

func startFleet(t testing.TB, n int, keys map[string]string) *fleet {
	t.Helper()
	ca := servicetest.NewCA(t, "fleet CA")
	fl := &fleet{ca: ca, trader: ca.Client(t, "trader")}
	cfg := &service.Config{Listen: "127.0.0.1:0", TLS: ca.TLS(ca.Server(t)), Keys: rawKeys(keys),
		Clients: []service.Client{{Identity: "trader", Keys: []string{"*"}, Operations: []string{"sign", "verify"}}}}
	for range n {
		c, err := service.ParseConfig(mustYAML(t, cfg))
		if err != nil {
			t.Fatal(err)
		}
		srv, addr := servicetest.Start(t, c, service.Options{})
		fl.srvs = append(fl.srvs, srv)
		fl.addrs = append(fl.addrs, addr)
	}
	return fl
}

func (fl *fleet) uri(key string, extra ...string) string {
	u := "remote:addr=" + strings.Join(fl.addrs, ",") + ";key=" + key + "?" + fl.ca.Query(fl.trader)
	for _, e := range extra {
		u += "&" + e
	}
	return u
}

var signsServed = regexp.MustCompile(`(?m)^tinywindow_service_requests_total\{[^}]*rpc_grpc_status_code="OK"[^}]*rpc_method="tinywindow.signer.v1.Signer/Sign"[^}]*\} (\S+)$`)

// signs returns how many Sign calls srv has answered.
func signs(t testing.TB, srv *service.Server) int {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	n := 0
	for _, m := range signsServed.FindAllStringSubmatch(string(body), -1) {
		v, _ := strconv.ParseFloat(m[1], 64)
		n += int(v)
	}
	return n
}

// TestFleetKilledMidLoad runs load over three services and cuts one of them
// off mid-load, with its calls in flight: every service served calls, no
// worker (each has one call at a time) sees more than the one failure of
// the call it had in flight on the stopped service, that failure is
// ErrUnavailable, and the load goes on over the other two.
func TestFleetKilledMidLoad(t *testing.T) {
	fl := startFleet(t, 3, map[string]string{"orders": "hmac:seed=42"})
	l := servicetest.StartLoad(t, fl.uri("orders", "timeout=5s"), 16)
	l.WaitOK(t, 300)
	for i, srv := range fl.srvs {
		if signs(t, srv) == 0 {
			t.Errorf("service %d served no Sign: calls are not spread", i)
		}
	}
	stopNow(t, fl.srvs[0])
	before := signs(t, fl.srvs[1]) + signs(t, fl.srvs[2])
	l.WaitOK(t, 300)
	failed := l.End()
	after := signs(t, fl.srvs[1]) + signs(t, fl.srvs[2])
	if after-before < 300 {
		t.Errorf("the two services left answered %d signs after the stop", after-before)
	}
	total := 0
	for w, errs := range failed {
		total += len(errs)
		if len(errs) > 1 {
			t.Errorf("worker %d had %d failures, more than the one call it can have in flight: %v", w, len(errs), errs)
		}
		for _, err := range errs {
			if !errors.Is(err, provider.ErrUnavailable) || errors.Is(err, provider.ErrInvalidSignature) {
				t.Errorf("worker %d: %v, want ErrUnavailable", w, err)
			}
		}
	}
	t.Logf("%d rounds succeeded; %d of %d workers had a call cut", l.OK(), total, len(failed))
}

// TestFleetDrain shuts one of three services down gracefully mid-load, as
// SIGTERM does: its health turns NOT_SERVING, calls in flight finish, and
// not one call fails.
func TestFleetDrain(t *testing.T) {
	fl := startFleet(t, 3, map[string]string{"orders": "hmac:seed=42"})
	l := servicetest.StartLoad(t, fl.uri("orders"), 16)
	l.WaitOK(t, 300)
	if err := fl.srvs[1].Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.WaitOK(t, 300)
	for w, errs := range l.End() {
		for _, err := range errs {
			t.Errorf("worker %d: %v", w, err)
		}
	}
}

// TestFleetHealthChecks: an address whose health service does not say
// SERVING for the Signer service gets no call. It is a bare gRPC server
// with only the health service, so a call sent there would fail as
// UNIMPLEMENTED.
func TestFleetHealthChecks(t *testing.T) {
	ctx := context.Background()
	fl := startFleet(t, 2, map[string]string{"orders": "hmac:seed=42"})
	srvCert := fl.ca.Server(t)
	cert, err := tls.LoadX509KeyPair(srvCert.CertFile, srvCert.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	bare := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAnyClientCert})))
	hs := health.NewServer()
	hs.SetServingStatus("tinywindow.signer.v1.Signer", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(bare, hs)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go bare.Serve(lis)
	t.Cleanup(bare.Stop)
	fl.addrs = append([]string{lis.Addr().String()}, fl.addrs...)

	k, err := provider.Open(ctx, fl.uri("orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	// Sign until both serving services have answered: a service joins the
	// rotation when its health check first says SERVING, which on a loaded
	// machine may take a while. Every sign must succeed: one sent to the
	// bare server would fail as UNIMPLEMENTED.
	n := 0
	for deadline := time.Now().Add(30 * time.Second); ; n++ {
		if _, err := k.Sign(ctx, []byte{byte(n)}); err != nil {
			t.Fatalf("sign %d: %v", n, err)
		}
		a, b := signs(t, fl.srvs[0]), signs(t, fl.srvs[1])
		if n >= 60 && a > 0 && b > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d signs the two serving services answered %d and %d: one never joined", n+1, a, b)
		}
	}
}

func TestAddrList(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ addr, query, want string }{
		{"127.0.0.1:1,,127.0.0.1:2", "", "not HOST:PORT"},
		{"127.0.0.1:1,127.0.0.1", "", "not HOST:PORT"},
		{"127.0.0.1:1,127.0.0.1:1", "", "twice"},
		{"dns:///signer.internal:7443", "", "a URL"},
		{"127.0.0.1:1,10.0.0.1:1", "", "only to a loopback"},
		{strings.Repeat("127.0.0.1:1,", 64) + "127.0.0.1:2", "", "more than 64"},
		{"127.0.0.1:1,127.0.0.1:2", "&dns-server=127.0.0.1:53", "addr lists 2 addresses"},
		{"localhost:1", "&dns-server=127.0.0.1", "dns-server \"127.0.0.1\" is not HOST:PORT"},
	} {
		_, err := provider.Open(ctx, "remote:addr="+tc.addr+";key=k?insecure-loopback=true"+tc.query)
		if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("addr=%s%s: %v, want ErrInvalidConfig saying %q", tc.addr, tc.query, err, tc.want)
		}
	}
}
