package remote_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/hmac"
	"github.com/tinywindow/tinywindow/providers/remote"
	"github.com/tinywindow/tinywindow/service"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

// fixture is a service on loopback with mutual TLS, its CA, and a client
// certificate for the identity "trader" authorised for every key.
type fixture struct {
	log    *syncBuffer
	ca     *servicetest.CA
	srv    *service.Server
	addr   string
	trader servicetest.Cert
	// tls is the service's tls section.
	tls service.TLSConfig
}

// rawKeys returns the keys of a service configuration, each of purpose raw,
// named by their URIs.
func rawKeys(uris map[string]string) map[string]service.Key {
	keys := make(map[string]service.Key, len(uris))
	for name, uri := range uris {
		keys[name] = service.Key{URI: uri}
	}
	return keys
}

func start(t testing.TB, keys map[string]string, clients ...service.Client) *fixture {
	t.Helper()
	return startKeys(t, rawKeys(keys), clients...)
}

// startKeys is start with keys of any purpose.
func startKeys(t testing.TB, keys map[string]service.Key, clients ...service.Client) *fixture {
	t.Helper()
	ca := servicetest.NewCA(t, "tinywindow test CA")
	f := &fixture{ca: ca, trader: ca.Client(t, "trader")}
	clients = append([]service.Client{{Identity: "trader", Keys: []string{"*"}, Operations: []string{"sign", "verify"}}}, clients...)
	cfg := &service.Config{Listen: "127.0.0.1:0", TLS: ca.TLS(ca.Server(t)), Keys: keys, Clients: clients}
	cfg, err := service.ParseConfig(mustYAML(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	f.tls = cfg.TLS
	f.log = &syncBuffer{}
	f.srv, f.addr = servicetest.Start(t, cfg, service.Options{Logger: slog.New(slog.NewTextHandler(f.log, nil))})
	return f
}

// uri is the remote URI of key for the client cert c.
func (f *fixture) uri(key string, c servicetest.Cert, extra ...string) string {
	u := "remote:addr=" + f.addr + ";key=" + key + "?" + f.ca.Query(c)
	for _, e := range extra {
		u += "&" + e
	}
	return u
}

func TestConformanceHMAC(t *testing.T) {
	f := start(t, map[string]string{"orders": "hmac:seed=42", "other": "hmac:seed=43"})
	conformance.Test(t, conformance.Subject{
		Open:            conformance.OpenURI(f.uri("orders", f.trader)),
		Other:           conformance.OpenURI(f.uri("other", f.trader)),
		Goroutines:      32,
		OpsPerGoroutine: 4,
	})
}

func TestConformanceECDSA(t *testing.T) {
	f := start(t, map[string]string{"ec": "ectest:seed=1", "ec2": "ectest:seed=2"})
	conformance.Test(t, conformance.Subject{
		Open:            conformance.OpenURI(f.uri("ec", f.trader)),
		Other:           conformance.OpenURI(f.uri("ec2", f.trader)),
		Goroutines:      32,
		OpsPerGoroutine: 4,
	})
}

// TestSameSignatures: the remote key signs as the key in the service does,
// and its ID is that key's.
func TestSameSignatures(t *testing.T) {
	ctx := context.Background()
	f := start(t, map[string]string{"orders": "hmac:seed=42"})
	local, err := provider.Open(ctx, "hmac:seed=42")
	if err != nil {
		t.Fatal(err)
	}
	rk, err := provider.Open(ctx, f.uri("orders", f.trader))
	if err != nil {
		t.Fatal(err)
	}
	defer rk.Close()
	if rk.Info().ID != local.Info().ID || rk.Info().Backend != remote.Scheme {
		t.Errorf("remote Info %+v, local %+v", rk.Info(), local.Info())
	}
	if b := rk.(interface{ ServiceBackend() string }).ServiceBackend(); b != "hmac" {
		t.Errorf("ServiceBackend = %q", b)
	}
	msg := []byte("hello deterministic world")
	a, _ := local.Sign(ctx, msg)
	b, err := rk.Sign(ctx, msg)
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("remote tag %x (%v), local %x", b, err, a)
	}
	// By key ID as well as by name.
	byID, err := provider.Open(ctx, f.uri(local.Info().ID, f.trader))
	if err != nil {
		t.Fatal(err)
	}
	byID.Close()
}

// TestVerifiesLocally: an ECDSA key verifies with the fetched public key,
// so verification goes on while the service is down; a MAC key cannot.
func TestVerifiesLocally(t *testing.T) {
	ctx := context.Background()
	f := start(t, map[string]string{"ec": "ectest:seed=1", "mac": "hmac:seed=1"})
	ec, err := provider.Open(ctx, f.uri("ec", f.trader))
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	mac, err := provider.Open(ctx, f.uri("mac", f.trader))
	if err != nil {
		t.Fatal(err)
	}
	defer mac.Close()
	msg := []byte("order")
	ecSig, _ := ec.Sign(ctx, msg)
	macSig, _ := mac.Sign(ctx, msg)
	stopNow(t, f.srv)
	if err := ec.Verify(ctx, msg, ecSig); err != nil {
		t.Errorf("ECDSA verify with the service down: %v", err)
	}
	bad := bytes.Clone(ecSig)
	bad[len(bad)-1] ^= 1
	if err := ec.Verify(ctx, msg, bad); !errors.Is(err, provider.ErrInvalidSignature) {
		t.Errorf("ECDSA verify of a bad signature with the service down: %v", err)
	}
	if err := mac.Verify(ctx, msg, macSig); !errors.Is(err, provider.ErrUnavailable) || errors.Is(err, provider.ErrInvalidSignature) {
		t.Errorf("HMAC verify with the service down: %v, want ErrUnavailable", err)
	}
	if _, err := ec.Sign(ctx, msg); !errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("sign with the service down: %v, want ErrUnavailable", err)
	}
}

func stopNow(t testing.TB, srv *service.Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // no grace: cut every call
	srv.Shutdown(ctx)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestRefusedClients: a client without a certificate, with one from another
// CA, with an expired one, and with a valid one not authorised are refused,
// and none of them is told the signature is invalid. A certificate refused in
// the TLS handshake reaches the client as ErrPermissionDenied when the TLS
// alert arrives before the connection closes, and as ErrUnavailable when it
// does not (TLS 1.3 refuses a client certificate after the client has
// finished its side of the handshake); the service logs the reason either way.
func TestRefusedClients(t *testing.T) {
	ctx := context.Background()
	f := start(t, map[string]string{"orders": "hmac:seed=42", "risk": "hmac:seed=7"},
		service.Client{Identity: "risk-only", Keys: []string{"risk"}, Operations: []string{"sign", "verify"}},
		service.Client{Identity: "verifier", Keys: []string{"orders"}, Operations: []string{"verify"}})
	otherCA := servicetest.NewCA(t, "another CA")
	expired := f.ca.Issue(t, "expired", servicetest.CertOptions{CommonName: "trader", NotAfter: time.Now().Add(-time.Hour)})
	stranger := f.ca.Client(t, "stranger")
	for _, tc := range []struct {
		name   string
		uri    string
		want   error
		logged string // for TLS refusals: what the service logs
	}{
		{"other CA", "remote:addr=" + f.addr + ";key=orders?ca-source=file:" + f.ca.CertFile +
			"&cert-source=file:" + otherCA.Client(t, "trader").CertFile + "&key-source=file:" + otherCA.Client(t, "trader").KeyFile, provider.ErrPermissionDenied, "unknown authority"},
		{"expired", f.uri("orders", expired), provider.ErrPermissionDenied, "expired"},
		{"not in clients", f.uri("orders", stranger), provider.ErrPermissionDenied, ""},
		{"not authorised for the key", f.uri("orders", f.ca.Client(t, "risk-only")), provider.ErrPermissionDenied, ""},
		{"server from another CA", "remote:addr=" + f.addr + ";key=orders?ca-source=file:" + otherCA.CertFile +
			"&cert-source=file:" + f.trader.CertFile + "&key-source=file:" + f.trader.KeyFile, provider.ErrInvalidConfig, ""},
		{"wrong server name", f.uri("orders", f.trader, "server-name=other.example"), provider.ErrInvalidConfig, ""},
		{"plaintext to a TLS service", "remote:addr=" + f.addr + ";key=orders?insecure-loopback=true", provider.ErrUnavailable, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := provider.Open(ctx, tc.uri)
			if err == nil {
				k.Close()
				t.Fatal("Open succeeded")
			}
			if errors.Is(err, provider.ErrInvalidSignature) {
				t.Fatalf("Open: %v", err)
			}
			if tc.logged != "" {
				if !errors.Is(err, provider.ErrPermissionDenied) && !errors.Is(err, provider.ErrUnavailable) {
					t.Errorf("Open: %v, want ErrPermissionDenied or ErrUnavailable", err)
				}
				if log := f.log.String(); !strings.Contains(log, "client certificate refused") || !strings.Contains(log, tc.logged) {
					t.Errorf("the service did not log the refusal (%q): %s", tc.logged, log)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("Open: %v, want %v", err, tc.want)
			}
		})
	}

	// An operation the client is not authorised for.
	v, err := provider.Open(ctx, f.uri("orders", f.ca.Client(t, "verifier")))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Sign(ctx, []byte("x")); !errors.Is(err, provider.ErrPermissionDenied) {
		t.Errorf("sign by a verify-only client: %v", err)
	}
	sig, _ := provider.Open(ctx, "hmac:seed=42")
	tag, _ := sig.Sign(ctx, []byte("x"))
	if err := v.Verify(ctx, []byte("x"), tag); err != nil {
		t.Errorf("verify by a verify-only client: %v", err)
	}

	// No client certificate at all: a raw gRPC client.
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(f.ca.CertFile)
	pool.AppendCertsFromPEM(caPEM)
	conn, err := grpc.NewClient(f.addr, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = signerpb.NewSignerClient(conn).Sign(ctx, &signerpb.SignRequest{Key: "orders", Message: []byte("x")})
	if err == nil || status.Code(err) != codes.Unavailable {
		t.Errorf("call without a client certificate: %v", err)
	}
	if !strings.Contains(f.log.String(), "no client certificate") {
		t.Errorf("the service did not log the refusal: %s", f.log.String())
	}
	for _, want := range []string{"identities=[cn:stranger]", "client=risk-only", "client=verifier"} {
		if !strings.Contains(f.log.String(), want) {
			t.Errorf("the service did not log the refusal of %s", want)
		}
	}
}

// TestRetriesOnlySafeCalls: with a rate limit, a refused Verify is retried
// after a back-off and succeeds, while a refused Sign is not retried.
func TestRetriesOnlySafeCalls(t *testing.T) {
	ctx := context.Background()
	f := start(t, map[string]string{"orders": "hmac:seed=42"},
		service.Client{Identity: "slow", Keys: []string{"orders"}, Operations: []string{"sign", "verify"}, Rate: 2, Burst: 1})
	k, err := provider.Open(ctx, f.uri("orders", f.ca.Client(t, "slow"), "retries=6"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	time.Sleep(600 * time.Millisecond) // refill the one token Open took (2/s)
	msg := []byte("x")
	tag, err := k.Sign(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	_, err = k.Sign(ctx, msg)
	if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "rate") {
		t.Errorf("second sign within the rate: %v, want ErrUnavailable (rate limit)", err)
	}
	if d := time.Since(t0); d > 300*time.Millisecond {
		t.Errorf("the refused sign took %v: it was retried", d)
	}
	// The bucket is empty; Verify backs off (20, 40, 80, 160, 320 ms...)
	// until a token comes back (500 ms at 2/s).
	if err := k.Verify(ctx, msg, tag); err != nil {
		t.Errorf("verify after back-off: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	f := start(t, map[string]string{"orders": "hmac:seed=42"})
	k, err := provider.Open(ctx, f.uri("orders", f.trader))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	msg := []byte("order")
	tag, _ := k.Sign(ctx, msg)

	// Oversized message: refused before it is sent.
	big := make([]byte, service.DefaultMaxMessageBytes+1)
	if _, err := k.Sign(ctx, big); !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "limit") {
		t.Errorf("sign of an oversized message: %v", err)
	}
	// Malformed signatures are invalid, never an outage.
	for _, sig := range [][]byte{nil, {}, tag[:31], append(bytes.Clone(tag), 0), make([]byte, 70000), bytes.Repeat([]byte{0xff}, 32)} {
		if err := k.Verify(ctx, msg, sig); !errors.Is(err, provider.ErrInvalidSignature) {
			t.Errorf("verify of a %d-byte malformed signature: %v", len(sig), err)
		}
	}
	// Unknown key.
	if _, err := provider.Open(ctx, f.uri("nope", f.trader)); !errors.Is(err, provider.ErrKeyNotFound) {
		t.Errorf("open of an unknown key: %v", err)
	}
	// Oversized requests straight to the service, past the client's check.
	conn := rawConn(t, f)
	cl := signerpb.NewSignerClient(conn)
	if _, err := cl.Sign(ctx, &signerpb.SignRequest{Key: "orders", Message: big}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("raw sign of %d bytes: %v, want InvalidArgument", len(big), err)
	}
	huge := make([]byte, service.DefaultMaxMessageBytes+service.MaxSignatureBytes+8192)
	if _, err := cl.Sign(ctx, &signerpb.SignRequest{Key: "orders", Message: huge}); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("raw sign of %d bytes: %v, want ResourceExhausted from the transport limit", len(huge), err)
	}
	if _, err := cl.Verify(ctx, &signerpb.VerifyRequest{Key: "orders", Message: msg, Signature: make([]byte, service.MaxSignatureBytes+1)}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("raw verify of an oversized signature: %v", err)
	}
	if _, err := cl.Sign(ctx, &signerpb.SignRequest{Key: "", Message: msg}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("raw sign without a key: %v", err)
	}
	if _, err := cl.Sign(ctx, &signerpb.SignRequest{Key: strings.Repeat("k", 300), Message: msg}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("raw sign with a 300-byte key name: %v", err)
	}
	if lk, err := cl.ListKeys(ctx, &signerpb.ListKeysRequest{}); err != nil || len(lk.Keys) != 1 || lk.Keys[0].Name != "orders" {
		t.Errorf("ListKeys: %v %v", lk, err)
	}

	for _, tc := range []struct{ uri, want string }{
		{"remote:key=orders", "no addr"},
		{"remote:addr=127.0.0.1;key=orders", "HOST:PORT"},
		{"remote:addr=127.0.0.1:1", "no key"},
		{"remote:addr=127.0.0.1:1;key=k?ca-source=file:/x", "no cert-source"},
		{"remote:addr=127.0.0.1:1;key=k?timeout=fast&insecure-loopback=true", "timeout"},
		{"remote:addr=127.0.0.1:1;key=k?retries=99&insecure-loopback=true", "retries"},
		{"remote:addr=10.0.0.1:1;key=k?insecure-loopback=true", "only to a loopback"},
		{"remote:addr=127.0.0.1:1;key=k?insecure-loopback=yes", "true or false"},
		{"remote:addr=127.0.0.1:1;key=k?insecure-loopback=true&ca-source=file:/x", "plaintext"},
		{"remote:addr=127.0.0.1:1;key=k?ca-source=file:/nonexistent&cert-source=file:/x&key-source=file:/y", "no such file"},
		{"remote:addr=127.0.0.1:1;key=k?ca-source=file:" + f.trader.KeyFile + "&cert-source=file:/x&key-source=file:/y", "no PEM certificate"},
		{"remote:addr=127.0.0.1:1;key=k?ca-source=file:" + f.ca.CertFile + "&cert-source=file:" + f.trader.CertFile + "&key-source=file:" + f.ca.CertFile, "chmod 600"},
		{"remote:addr=127.0.0.1:1;key=k?ca-source=x&cert-source=file:/x&key-source=file:/y", "file:PATH or env:NAME"},
		{"remote:addr=127.0.0.1:1;key=k;colour=blue", "unknown attribute"},
	} {
		_, err := provider.Open(ctx, tc.uri)
		if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q): %v, want ErrInvalidConfig saying %q", tc.uri, err, tc.want)
		}
	}
}

func rawConn(t *testing.T, f *fixture) *grpc.ClientConn {
	t.Helper()
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(f.ca.CertFile)
	pool.AppendCertsFromPEM(caPEM)
	cert, err := tls.LoadX509KeyPair(f.trader.CertFile, f.trader.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(f.addr,
		grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}})),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(8<<20)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestLoad runs 32 clients, each with its own connection, signing and
// verifying for a bounded time, and reports the latency percentiles.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	ctx := context.Background()
	f := start(t, map[string]string{"orders": "hmac:seed=42"})
	const clients = 32
	duration := 3 * time.Second
	var (
		mu      sync.Mutex
		lat     []time.Duration
		errs    atomic.Int64
		firstMu sync.Mutex
		first   error
	)
	keys := make([]provider.Key, clients)
	for i := range keys {
		k, err := provider.Open(ctx, f.uri("orders", f.trader))
		if err != nil {
			t.Fatal(err)
		}
		defer k.Close()
		keys[i] = k
	}
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for _, k := range keys {
		wg.Go(func() {
			msg := make([]byte, 64)
			var mine []time.Duration
			for i := 0; time.Now().Before(deadline); i++ {
				msg[0], msg[1] = byte(i), byte(i>>8)
				t0 := time.Now()
				sig, err := k.Sign(ctx, msg)
				mine = append(mine, time.Since(t0))
				if err == nil {
					err = k.Verify(ctx, msg, sig)
				}
				if err != nil {
					errs.Add(1)
					firstMu.Lock()
					if first == nil {
						first = err
					}
					firstMu.Unlock()
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if n := errs.Load(); n != 0 {
		t.Fatalf("%d errors under load; first: %v", n, first)
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(float64(len(lat)-1)*p)] }
	t.Logf("%d clients for %v: %d signs (%.0f/s, each followed by a verify), sign latency p50 %v p90 %v p99 %v max %v",
		clients, duration, len(lat), float64(len(lat))/duration.Seconds(), pct(0.5), pct(0.9), pct(0.99), lat[len(lat)-1])
}

// TestKilledMidLoad: when the service stops mid-load, every failed call is
// ErrUnavailable, never ErrInvalidSignature, and no signature fails to
// verify.
func TestKilledMidLoad(t *testing.T) {
	ctx := context.Background()
	f := start(t, map[string]string{"orders": "hmac:seed=42"})
	tagKey, _ := provider.Open(ctx, "hmac:seed=42")
	var (
		ok, unavailable atomic.Int64
		wrongMu         sync.Mutex
		wrong           []error
	)
	// Every handle is open before the load starts: an Open that waits
	// behind 15 busy clients on an oversubscribed machine can outlast its
	// timeout, and what is tested here is the stop, not the open.
	keys := make([]provider.Key, 16)
	for i := range keys {
		k, err := provider.Open(ctx, f.uri("orders", f.trader, "timeout=2s"))
		if err != nil {
			t.Fatal(err)
		}
		defer k.Close()
		keys[i] = k
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, k := range keys {
		wg.Go(func() {
			msg := []byte("order")
			good, _ := tagKey.Sign(ctx, msg)
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, err := k.Sign(ctx, msg)
				if err == nil {
					err = k.Verify(ctx, msg, good)
				}
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, provider.ErrUnavailable) && !errors.Is(err, provider.ErrInvalidSignature):
					unavailable.Add(1)
				default:
					wrongMu.Lock()
					wrong = append(wrong, err)
					wrongMu.Unlock()
				}
			}
		})
	}
	waitFor(t, func() bool { return ok.Load() > 0 })
	stopNow(t, f.srv)
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("%d calls succeeded, %d were unavailable", ok.Load(), unavailable.Load())
	if ok.Load() == 0 || unavailable.Load() == 0 {
		t.Errorf("want calls before and failures after the stop: %d ok, %d unavailable", ok.Load(), unavailable.Load())
	}
	for i, err := range wrong {
		if i < 5 {
			t.Errorf("error that is not ErrUnavailable: %v", err)
		}
	}
}

// waitFor waits up to 10 s for cond.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
	}
}
