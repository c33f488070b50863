package service_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
	_ "github.com/tinywindow/tinywindow/providers/remote"
	"github.com/tinywindow/tinywindow/service"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

type env struct {
	ca     *servicetest.CA
	server servicetest.Cert
	trader servicetest.Cert
	srv    *service.Server
	addr   string
}

// configYAML is a config for e with the given keys section.
func (e *env) config(t testing.TB, keys string, extra ...string) *service.Config {
	t.Helper()
	y := "listen: 127.0.0.1:0\ntls:\n  cert: " + e.server.CertFile + "\n  key-source: file:" + e.server.KeyFile +
		"\n  client-ca: " + e.ca.CertFile + "\nkeys:\n" + keys +
		"clients:\n  - identity: trader\n    keys: ['*']\n    operations: [sign, verify]\n" + strings.Join(extra, "")
	c, err := service.ParseConfig([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newEnv(t testing.TB, keys string, extra ...string) *env {
	t.Helper()
	ca := servicetest.NewCA(t, "test CA")
	e := &env{ca: ca, server: ca.Server(t), trader: ca.Client(t, "trader")}
	e.srv, e.addr = servicetest.Start(t, e.config(t, keys, extra...), service.Options{})
	return e
}

func (e *env) open(t testing.TB, key string, extra ...string) provider.Key {
	t.Helper()
	u := "remote:addr=" + e.addr + ";key=" + key + "?" + e.ca.Query(e.trader)
	for _, x := range extra {
		u += "&" + x
	}
	// The open gets a deadline of its own: a short timeout= in the URI is
	// meant for the calls under test, and would otherwise bound the first
	// connection's handshake too, which a loaded machine can make slower.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	k, err := provider.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

func TestParseConfig(t *testing.T) {
	base := "listen: 127.0.0.1:7443\nkeys:\n  orders: hmac:seed=1\nclients:\n  - identity: a\n    keys: [orders]\n    operations: [sign]\n"
	c, err := service.ParseConfig([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits.MaxMessageBytes != service.DefaultMaxMessageBytes || c.Limits.MaxDeadline != service.DefaultMaxDeadline {
		t.Errorf("defaults not filled in: %+v", c.Limits)
	}
	for _, tc := range []struct {
		name, yaml, want string
		kind             error
	}{
		{"unknown field", base + "colour: blue\n", "colour", provider.ErrInvalidConfig},
		{"no listen", strings.Replace(base, "listen: 127.0.0.1:7443\n", "", 1), "listen is empty", provider.ErrInvalidConfig},
		{"no keys", "listen: x:1\nclients: []\n", "keys is empty", provider.ErrInvalidConfig},
		{"bad key name", strings.Replace(base, "  orders:", "  Orders:", 1), "not lowercase", provider.ErrInvalidConfig},
		{"bad key URI", strings.Replace(base, "hmac:seed=1", "seed=1", 1), "no scheme", provider.ErrInvalidConfig},
		{"no clients", "listen: x:1\nkeys: {a: 'hmac:seed=1'}\n", "clients is empty", provider.ErrInvalidConfig},
		{"nonexistent key", strings.Replace(base, "keys: [orders]", "keys: [orders, risk]", 1), `authorises key "risk", which is not in keys`, provider.ErrKeyNotFound},
		{"unknown operation", strings.Replace(base, "[sign]", "[sign, delete]", 1), `unknown operation "delete"`, provider.ErrInvalidConfig},
		{"no operations", strings.Replace(base, "[sign]", "[]", 1), "operations is empty", provider.ErrInvalidConfig},
		{"duplicate client", base + "  - identity: a\n    keys: [orders]\n    operations: [sign]\n", "appears twice", provider.ErrInvalidConfig},
		{"duplicate client, typed", base + "  - identity: cn:a\n    keys: [orders]\n    operations: [sign]\n", "appears twice", provider.ErrInvalidConfig},
		{"duplicate DNS client", base + "  - identity: dns:A.example\n    keys: [orders]\n    operations: [sign]\n  - identity: dns:a.example\n    keys: [orders]\n    operations: [sign]\n", "appears twice", provider.ErrInvalidConfig},
		{"untyped URI identity", strings.Replace(base, "identity: a", "identity: spiffe://example.org/a", 1), "write cn:, dns:, uri: or email:", provider.ErrInvalidConfig},
		{"unknown identity kind", strings.Replace(base, "identity: a", "identity: ip:127.0.0.1", 1), "no known kind", provider.ErrInvalidConfig},
		{"empty typed identity", strings.Replace(base, "identity: a", "identity: 'dns:'", 1), "names no dns", provider.ErrInvalidConfig},
		{"half TLS", base + "tls: {cert: /x}\n", "all of cert, key-source and client-ca", provider.ErrInvalidConfig},
		{"TLS key twice", base + "tls: {cert: /x, client-ca: /y, key-source: 'file:/z', key-uri: 'ectest:'}\n", "both key-source and key-uri", provider.ErrInvalidConfig},
		{"bad TLS key URI", base + "tls: {cert: /x, client-ca: /y, key-uri: 'seed=1'}\n", "tls.key-uri", provider.ErrInvalidConfig},
		{"negative rate", strings.Replace(base, "operations: [sign]", "operations: [sign]\n    rate: -1", 1), "negative", provider.ErrInvalidConfig},
		{"huge messages", base + "limits: {max-message-bytes: 1000000000}\n", "over 64 MiB", provider.ErrInvalidConfig},
		{"bad duration", base + "limits: {max-deadline: soon}\n", "soon", provider.ErrInvalidConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := service.ParseConfig([]byte(tc.yaml))
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseConfig: %v, want %v saying %q", err, tc.kind, tc.want)
			}
		})
	}
}

func TestNewBadInput(t *testing.T) {
	ctx := context.Background()
	ca := servicetest.NewCA(t, "test CA")
	srv := ca.Server(t)
	plain := "listen: 127.0.0.1:0\nkeys:\n  orders: hmac:seed=1\nclients:\n  - identity: a\n    keys: [orders]\n    operations: [sign]\n"
	withTLS := func(cert, key, clientCA string) string {
		return plain + "tls: {cert: " + cert + ", key-source: 'file:" + key + "', client-ca: " + clientCA + "}\n"
	}
	open := filepath.Join(t.TempDir(), "open.key")
	data, _ := os.ReadFile(srv.KeyFile)
	os.WriteFile(open, data, 0o644)
	for _, tc := range []struct {
		name, yaml string
		insecure   bool
		want       string
	}{
		{"no TLS", plain, false, "mutual TLS is required"},
		{"TLS and insecure", withTLS(srv.CertFile, srv.KeyFile, ca.CertFile), true, "drop one of them"},
		{"missing cert", withTLS("/nonexistent.pem", srv.KeyFile, ca.CertFile), false, "tls.cert"},
		{"key readable by others", withTLS(srv.CertFile, open, ca.CertFile), false, "chmod 600"},
		{"CA file without certificates", withTLS(srv.CertFile, srv.KeyFile, srv.KeyFile), false, "no PEM certificate"},
		{"key of another cert", withTLS(ca.Client(t, "x").CertFile, srv.KeyFile, ca.CertFile), false, "do not make a certificate"},
		{"key fails to open", strings.Replace(plain, "hmac:seed=1", "hmac:key-source=env:TW_TEST_UNSET", 1), true, "keys.orders"},
		{"same key twice", strings.Replace(plain, "  orders: hmac:seed=1\n", "  orders: hmac:seed=1\n  copy: hmac:seed=1\n", 1), true, "are the same key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := service.ParseConfig([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			_, err = service.New(ctx, cfg, service.Options{InsecureLoopback: tc.insecure})
			if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want ErrInvalidConfig saying %q", err, tc.want)
			}
		})
	}
}

// nonLoopback is a listener that claims a routable address.
type nonLoopback struct{ net.Listener }

func (nonLoopback) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 7443} }

func TestInsecureLoopback(t *testing.T) {
	ctx := context.Background()
	cfg, err := service.ParseConfig([]byte("listen: 127.0.0.1:0\nkeys:\n  orders: hmac:seed=42\nclients:\n  - identity: insecure-loopback\n    keys: [orders]\n    operations: [sign, verify]\n"))
	if err != nil {
		t.Fatal(err)
	}
	srv, addr := servicetest.Start(t, cfg, service.Options{InsecureLoopback: true})
	k, err := provider.Open(ctx, "remote:addr="+addr+";key=orders?insecure-loopback=true")
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	tag, err := k.Sign(ctx, []byte("hello deterministic world"))
	if err != nil || len(tag) != 32 {
		t.Fatalf("sign over plaintext loopback: %x %v", tag, err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	if err := srv.Serve(nonLoopback{lis}); !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("plaintext Serve on a routable address: %v", err)
	}
	// The standard health service answers.
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: "tinywindow.signer.v1.Signer"})
	if err != nil || resp.Status != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health: %v %v", resp, err)
	}
}

// TestReloadKeepsCalls reloads the configuration many times under load: no
// call fails. Then a reload that points the key's name at another key makes
// old handles fail with ErrKeyNotFound, not sign with the wrong key.
func TestReloadKeepsCalls(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "  orders: hmac:seed=42\n")
	var errs atomic.Int64
	var first atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		k := e.open(t, "orders")
		wg.Go(func() {
			msg := []byte("order")
			for {
				select {
				case <-stop:
					return
				default:
				}
				sig, err := k.Sign(ctx, msg)
				if err == nil {
					err = k.Verify(ctx, msg, sig)
				}
				if err != nil {
					errs.Add(1)
					first.CompareAndSwap(nil, err)
				}
			}
		})
	}
	for range 20 {
		if err := e.srv.Reload(ctx, e.config(t, "  orders: hmac:seed=42\n  spare: hmac:seed=9\n")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if n := errs.Load(); n != 0 {
		t.Fatalf("%d calls failed across reloads; first: %v", n, first.Load())
	}

	// A reload that fails keeps the old configuration.
	bad := e.config(t, "  orders: hmac:key-source=env:TW_TEST_UNSET_KEY\n")
	if err := e.srv.Reload(ctx, bad); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("reload with a key that cannot open: %v", err)
	}
	old := e.open(t, "orders")
	if _, err := old.Sign(ctx, []byte("x")); err != nil {
		t.Fatalf("sign after a failed reload: %v", err)
	}
	// The name now names another key.
	if err := e.srv.Reload(ctx, e.config(t, "  orders: hmac:seed=43\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Sign(ctx, []byte("x")); !errors.Is(err, provider.ErrKeyNotFound) || !strings.Contains(err.Error(), "open the key again") {
		t.Errorf("sign through a handle to a replaced key: %v", err)
	}
	if k := e.open(t, "orders"); k.Info().ID == old.Info().ID {
		t.Error("a new handle still has the old key")
	}
}

// TestReloadRevokesCA: after a reload that trusts another client CA, the old
// CA's clients are refused on new connections and the new CA's accepted.
func TestReloadRevokesCA(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "  orders: hmac:seed=42\n")
	e.open(t, "orders")
	newCA := servicetest.NewCA(t, "replacement CA")
	cfg := e.config(t, "  orders: hmac:seed=42\n")
	cfg.TLS.ClientCA = newCA.CertFile
	if err := e.srv.Reload(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	u := "remote:addr=" + e.addr + ";key=orders?" + e.ca.Query(e.trader)
	if k, err := provider.Open(ctx, u); err == nil {
		k.Close()
		t.Error("a client of the revoked CA was accepted")
	} else if errors.Is(err, provider.ErrInvalidSignature) {
		t.Error(err)
	}
	nc := newCA.Client(t, "trader")
	u = "remote:addr=" + e.addr + ";key=orders?ca-source=file:" + e.ca.CertFile + "&cert-source=file:" + nc.CertFile + "&key-source=file:" + nc.KeyFile
	k, err := provider.Open(ctx, u)
	if err != nil {
		t.Fatalf("a client of the new CA: %v", err)
	}
	k.Close()
}

// TestShutdownDrains: a call in flight when shutdown starts completes; calls
// after it fail as unavailable.
func TestShutdownDrains(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "  slow: slowtest:seed=42;delay=400ms\n")
	k := e.open(t, "slow")
	for len(slowStarted) > 0 { // left by other tests
		<-slowStarted
	}
	done := make(chan error, 1)
	go func() {
		_, err := k.Sign(ctx, []byte("in flight"))
		done <- err
	}()
	<-slowStarted // the call is in the key
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	t0 := time.Now()
	if err := e.srv.Shutdown(sctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("the call in flight failed: %v", err)
	}
	if d := time.Since(t0); d < 100*time.Millisecond {
		t.Errorf("Shutdown returned after %v, before the call in flight could finish", d)
	}
	if _, err := k.Sign(ctx, []byte("late")); !errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("sign after shutdown: %v", err)
	}
}

func TestDeadlines(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "  slow: slowtest:seed=42;delay=3s\n", "limits: {max-deadline: 300ms}\n")
	k := e.open(t, "slow")
	// The client's deadline reaches the key.
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := k.Sign(cctx, []byte("x"))
	if !errors.Is(err, provider.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("sign past the client's deadline: %v", err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("sign took %v despite a 100ms deadline", d)
	}
	// The service's max-deadline caps a call whose client allows more.
	t0 = time.Now()
	_, err = k.Sign(ctx, []byte("x"))
	if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "DeadlineExceeded") {
		t.Errorf("sign past the service's max-deadline: %v", err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("sign took %v despite the service's 300ms max-deadline", d)
	}
}

// TestDefaultTimeout: the remote URI's timeout, which bounds a call whose
// context has no deadline, stays with the client. The key in the service
// gets the service's max-deadline, not the timeout; when the timeout passes,
// the client gives up with the error it has always given, and the service
// cancels the call. A deadline the caller sets still reaches the key.
func TestDefaultTimeout(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "  slow: slowtest:seed=42;delay=1h\n", "limits: {max-deadline: 1h}\n")
	k := e.open(t, "slow", "timeout=200ms", "retries=0")
	sig, err := hmac.NewFromSeed(42).Sign(ctx, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		op   string
		call func(context.Context) error
	}{
		{"sign", func(ctx context.Context) error { _, err := k.Sign(ctx, []byte("x")); return err }},
		{"verify", func(ctx context.Context) error { return k.Verify(ctx, []byte("x"), sig) }},
	} {
		t.Run(tc.op, func(t *testing.T) {
			for len(slowStarted) > 0 { // left by other tests
				<-slowStarted
			}
			// No deadline from the caller: the URI's timeout.
			done := make(chan error, 1)
			go func() { done <- tc.call(ctx) }()
			kctx := <-slowStarted
			if d, ok := kctx.Deadline(); !ok || time.Until(d) < 30*time.Minute {
				t.Errorf("the key's deadline is %v away (%v), want the service's max-deadline of 1h, not the URI's timeout of 200ms", time.Until(d).Round(time.Millisecond), ok)
			}
			err := <-done
			want := provider.ErrUnavailable.Error() + ": remote " + tc.op + ", key \"slow\" at \"" + e.addr +
				"\": rpc error: code = DeadlineExceeded desc = context deadline exceeded"
			if err == nil || err.Error() != want {
				t.Errorf("%s past the URI's timeout: %v, want %s", tc.op, err, want)
			}
			if !errors.Is(err, provider.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || status.Code(err) != codes.DeadlineExceeded {
				t.Errorf("%s past the URI's timeout: %v: want ErrUnavailable with status DEADLINE_EXCEEDED, and not context.DeadlineExceeded (the caller's context has not expired)", tc.op, err)
			}
			waitDone(t, kctx, context.Canceled)

			// The caller's own deadline reaches the key.
			cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			defer cancel()
			go func() { done <- tc.call(cctx) }()
			kctx = <-slowStarted
			cd, _ := cctx.Deadline()
			if d, ok := kctx.Deadline(); !ok || d.Sub(cd).Abs() > time.Minute {
				t.Errorf("the key's deadline is %v away (%v), want the caller's, 2m away", time.Until(d).Round(time.Millisecond), ok)
			}
			cancel()
			if err := <-done; !errors.Is(err, provider.ErrUnavailable) || !errors.Is(err, context.Canceled) {
				t.Errorf("%s cancelled by its caller: %v", tc.op, err)
			}
			waitDone(t, kctx, context.Canceled)
		})
	}
}

// waitDone waits for the context of a call in the service to end, and
// checks why it ended.
func waitDone(t *testing.T, ctx context.Context, want error) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(time.Minute): // only a guard against a hang
		t.Fatal("the service's call still runs after its client gave up")
	}
	if err := ctx.Err(); !errors.Is(err, want) {
		t.Errorf("the service's call ended with %v, want %v (the client gave up)", err, want)
	}
}

var sample = regexp.MustCompile(`(?m)^(tinywindow_\w+)\{([^}]*)\} (\S+)$`)

// scrapeText returns the metrics page at url.
func scrapeText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// scrape returns the value of every sample whose name is name and whose
// labels hold each of labels.
func scrape(t *testing.T, url, name string, labels ...string) float64 {
	t.Helper()
	body := scrapeText(t, url)
	total := 0.0
	for _, m := range sample.FindAllStringSubmatch(body, -1) {
		if m[1] != name {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(m[2], l)
		}
		if ok {
			v, _ := strconv.ParseFloat(m[3], 64)
			total += v
		}
	}
	return total
}

func TestMetricsScrape(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "  orders: hmac:seed=42\n")
	hs := httptest.NewServer(e.srv.MetricsHandler())
	defer hs.Close()
	k := e.open(t, "orders")
	id := k.Info().ID
	before := scrape(t, hs.URL, "tinywindow_signer_operations_total", `tinywindow_operation="sign"`, `tinywindow_key_id="`+id+`"`)
	msg := []byte("a message that must never reach the metrics")
	var sig []byte
	for range 5 {
		var err error
		if sig, err = k.Sign(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	bad := bytes.Clone(sig)
	bad[0] ^= 1
	if err := k.Verify(ctx, msg, bad); !errors.Is(err, provider.ErrInvalidSignature) {
		t.Fatal(err)
	}
	after := scrape(t, hs.URL, "tinywindow_signer_operations_total", `tinywindow_operation="sign"`, `tinywindow_key_id="`+id+`"`)
	if after-before != 5 {
		t.Errorf("sign operations went from %v to %v, want +5", before, after)
	}
	for _, tc := range []struct {
		name   string
		labels []string
		min    float64
	}{
		{"tinywindow_signer_errors_total", []string{`error_type="invalid_signature"`, `tinywindow_operation="verify"`}, 1},
		{"tinywindow_signer_duration_seconds_count", []string{`tinywindow_operation="sign"`, `tinywindow_backend="hmac"`, `tinywindow_algorithm="HMAC-SHA256"`}, 5},
		{"tinywindow_service_requests_total", []string{`client="trader"`, `rpc_method="tinywindow.signer.v1.Signer/Sign"`, `rpc_grpc_status_code="OK"`}, 5},
	} {
		if got := scrape(t, hs.URL, tc.name, tc.labels...); got < tc.min {
			t.Errorf("%s%v = %v, want at least %v", tc.name, tc.labels, got, tc.min)
		}
	}
	resp, _ := http.Get(hs.URL)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if bytes.Contains(body, msg) || bytes.Contains(body, []byte(strconv.Quote(string(sig)))) {
		t.Error("a message or signature reached the metrics")
	}
}

// TestDeniedIsLogged: a refused call is logged with the client and the key,
// and counted.
func TestDeniedIsLogged(t *testing.T) {
	ctx := context.Background()
	ca := servicetest.NewCA(t, "test CA")
	e := &env{ca: ca, server: ca.Server(t), trader: ca.Client(t, "trader")}
	cfg := e.config(t, "  orders: hmac:seed=42\n  risk: hmac:seed=1\n",
		"  - identity: risk-desk\n    keys: [risk]\n    operations: [sign]\n")
	var log bytes.Buffer
	var mu sync.Mutex
	e.srv, e.addr = servicetest.Start(t, cfg, service.Options{Logger: slog.New(slog.NewJSONHandler(lockedWriter{&mu, &log}, nil))})
	rd := ca.Client(t, "risk-desk")
	_, err := provider.Open(ctx, "remote:addr="+e.addr+";key=orders?"+ca.Query(rd))
	if !errors.Is(err, provider.ErrPermissionDenied) {
		t.Fatalf("open of an unauthorised key: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if s := log.String(); !strings.Contains(s, `"msg":"permission denied"`) || !strings.Contains(s, `"client":"risk-desk"`) || !strings.Contains(s, `"key":"orders"`) {
		t.Errorf("denial not logged: %s", s)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// FuzzParseConfig: no input makes ParseConfig panic, and what it accepts
// passes its own checks again.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("listen: 127.0.0.1:7443\nkeys:\n  orders: hmac:seed=1\nclients:\n  - identity: a\n    keys: [orders]\n    operations: [sign]\n    rate: 10\n"))
	f.Add([]byte("listen: x\nkeys: {a: 'hmac:seed=1'}\nclients: [{identity: b, keys: ['*'], operations: [verify]}]\nlimits: {max-deadline: 1s}\n"))
	f.Add([]byte("tls: {cert: a}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := service.ParseConfig(data)
		if err != nil {
			if !errors.Is(err, provider.ErrInvalidConfig) && !errors.Is(err, provider.ErrKeyNotFound) {
				t.Fatalf("error of no kind: %v", err)
			}
			return
		}
		if err := c.Check(); err != nil {
			t.Fatalf("accepted config fails Check: %v", err)
		}
	})
}
