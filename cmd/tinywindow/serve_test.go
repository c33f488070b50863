package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

func TestServeBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		return p
	}
	keys := "keys:\n  orders: hmac:seed=42\n"
	client := "clients:\n  - identity: insecure-loopback\n    keys: [orders]\n    operations: [sign]\n"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no config", []string{"serve"}, "--config FILE is required"},
		{"missing config", []string{"serve", "--config", filepath.Join(dir, "none.yaml")}, "no such file"},
		{"nonexistent key", []string{"serve", "--insecure-loopback", "--config", write("a.yaml", "listen: 127.0.0.1:0\n"+keys+
			"clients:\n  - identity: x\n    keys: [orders, missing]\n    operations: [sign]\n")}, `authorises key "missing", which is not in keys`},
		{"plaintext off loopback", []string{"serve", "--insecure-loopback", "--config", write("b.yaml", "listen: 0.0.0.0:7443\n"+keys+client)}, "loopback IP"},
		{"no TLS", []string{"serve", "--config", write("c.yaml", "listen: 127.0.0.1:0\n"+keys+client)}, "mutual TLS is required"},
		{"positional argument", []string{"serve", "extra"}, "unexpected argument"},
		{"tracing without endpoint", []string{"serve", "--insecure-loopback", "--config", write("d.yaml", "listen: 127.0.0.1:0\n"+keys+client+
			"tracing: {insecure: true}\n")}, "tracing.otlp-endpoint is empty"},
		{"tracing unknown field", []string{"serve", "--insecure-loopback", "--config", write("e.yaml", "listen: 127.0.0.1:0\n"+keys+client+
			"tracing: {otlp-endpoint: '127.0.0.1:4317', sampling: 1}\n")}, "field sampling not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := run(t, "", tc.args...)
			if code != exitError || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
		})
	}
}

// served is a `tinywindow serve` process.
type served struct {
	cmd         *exec.Cmd
	addr, mAddr string
	mu          sync.Mutex
	log         strings.Builder
	exited      chan error
}

var logAddr = regexp.MustCompile(`msg=(serving|metrics) addr=(\S+)`)

func startServe(t *testing.T, bin, config string) *served {
	t.Helper()
	s := &served{cmd: exec.Command(bin, "serve", "--config", config), exited: make(chan error, 1)}
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.exited
	})
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.log.WriteString(line + "\n")
			if m := logAddr.FindStringSubmatch(line); m != nil {
				if m[1] == "serving" {
					s.addr = m[2]
				} else {
					s.mAddr = m[2]
				}
				if s.addr != "" && s.mAddr != "" {
					once.Do(func() { close(ready) })
				}
			}
			s.mu.Unlock()
		}
		s.exited <- s.cmd.Wait()
	}()
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not start: %s", s.logText())
	}
	return s
}

func (s *served) logText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "tinywindow")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func serveConfig(t *testing.T, ca *servicetest.CA, keys string) string {
	srv := ca.Server(t)
	return "listen: 127.0.0.1:0\nmetrics: {listen: '127.0.0.1:0'}\ntls:\n  cert: " + srv.CertFile + "\n  key-source: file:" + srv.KeyFile +
		"\n  client-ca: " + ca.CertFile + "\nkeys:\n" + keys +
		"clients:\n  - identity: trader\n    keys: ['*']\n    operations: [sign, verify]\n"
}

// TestServeProcess runs `tinywindow serve` as a process: it signs over mTLS,
// reloads on SIGHUP, exports metrics, and exits 0 on SIGTERM.
func TestServeProcess(t *testing.T) {
	ctx := context.Background()
	bin := buildBinary(t)
	ca := servicetest.NewCA(t, "serve test CA")
	trader := ca.Client(t, "trader")
	cfgPath := filepath.Join(t.TempDir(), "service.yaml")
	os.WriteFile(cfgPath, []byte(serveConfig(t, ca, "  orders: hmac:seed=42\n")), 0o644)
	s := startServe(t, bin, cfgPath)

	uri := func(key string) string { return "remote:addr=" + s.addr + ";key=" + key + "?" + ca.Query(trader) }
	code, out, errOut := run(t, hello, "sign", "--signer", uri("orders"))
	if code != 0 || out != tag42+"\n" {
		t.Fatalf("sign through the service: %d %q %s", code, out, errOut)
	}
	if code, _, _ := run(t, hello, "verify", "--signer", uri("orders"), "--sig", "0"+tag42[1:]); code != exitInvalid {
		t.Errorf("verify of a bad tag through the service: exit %d, want 1", code)
	}
	if _, err := provider.Open(ctx, uri("spare")); !errors.Is(err, provider.ErrKeyNotFound) {
		t.Fatalf("spare before reload: %v", err)
	}

	os.WriteFile(cfgPath, []byte(serveConfig(t, ca, "  orders: hmac:seed=42\n  spare: hmac:seed=7\n")), 0o644)
	s.cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(10 * time.Second)
	for {
		k, err := provider.Open(ctx, uri("spare"))
		if err == nil {
			k.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("spare after SIGHUP: %v\n%s", err, s.logText())
		}
		time.Sleep(50 * time.Millisecond)
	}

	resp, err := http.Get("http://" + s.mAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !regexp.MustCompile(`tinywindow_signer_operations_total\{[^}]*tinywindow_operation="sign"[^}]*\} [1-9]`).Match(body) {
		t.Errorf("no sign operations in /metrics:\n%s", body)
	}

	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exited:
		s.exited <- err
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM\n%s", err, s.logText())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}

// TestServeTracing runs `tinywindow serve` with a tracing section pointed
// at a collector on loopback: the spans of the calls made reach it by the
// time the process has exited on SIGTERM.
func TestServeTracing(t *testing.T) {
	bin := buildBinary(t)
	ca := servicetest.NewCA(t, "serve test CA")
	trader := ca.Client(t, "trader")
	col := servicetest.NewCollector(t)
	cfgPath := filepath.Join(t.TempDir(), "service.yaml")
	os.WriteFile(cfgPath, []byte(serveConfig(t, ca, "  orders: hmac:seed=42\n")+
		"tracing:\n  otlp-endpoint: "+col.Endpoint+"\n  insecure: true\n  service-name: serve-test\n"), 0o644)
	s := startServe(t, bin, cfgPath)
	uri := "remote:addr=" + s.addr + ";key=orders?" + ca.Query(trader)
	if code, out, errOut := run(t, hello, "sign", "--signer", uri); code != 0 || out != tag42+"\n" {
		t.Fatalf("sign through the service: %d %q %s", code, out, errOut)
	}
	if code, _, errOut := run(t, hello, "verify", "--signer", uri, "--sig", tag42); code != 0 {
		t.Fatalf("verify through the service: %d %s", code, errOut)
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exited:
		s.exited <- err
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM\n%s", err, s.logText())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	names := map[string]int{}
	for _, sp := range col.Spans() {
		names[sp.Name]++
		if sp.Attrs["tinywindow.backend"] != "hmac" || sp.Resource["service.name"] != "serve-test" {
			t.Errorf("span %s: attributes %v, resource %v", sp.Name, sp.Attrs, sp.Resource)
		}
	}
	// The remote client verifies HMAC tags through the service too.
	if names["tinywindow.sign"] != 1 || names["tinywindow.verify"] != 1 {
		t.Errorf("spans at the collector: %v, want one tinywindow.sign and one tinywindow.verify\n%s", names, s.logText())
	}
	for _, raw := range col.Requests() {
		for what, b := range map[string]string{"message": hello, "tag (hex)": tag42, "tag": string(mustHex(t, tag42))} {
			if strings.Contains(string(raw), b) {
				t.Errorf("an OTLP export request carries the %s", what)
			}
		}
	}
}

// TestServeKilledMidLoad kills the service process (SIGKILL) under load:
// every failure is ErrUnavailable, never ErrInvalidSignature.
func TestServeKilledMidLoad(t *testing.T) {
	ctx := context.Background()
	bin := buildBinary(t)
	ca := servicetest.NewCA(t, "serve test CA")
	trader := ca.Client(t, "trader")
	cfgPath := filepath.Join(t.TempDir(), "service.yaml")
	os.WriteFile(cfgPath, []byte(serveConfig(t, ca, "  orders: hmac:seed=42\n")), 0o644)
	s := startServe(t, bin, cfgPath)
	good := mustHex(t, tag42)
	var ok, unavailable atomic.Int64
	var wrongMu sync.Mutex
	var wrong []error
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 16 {
		k, err := provider.Open(ctx, "remote:addr="+s.addr+";key=orders?"+ca.Query(trader)+"&timeout=2s")
		if err != nil {
			t.Fatal(err)
		}
		defer k.Close()
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, err := k.Sign(ctx, []byte(hello))
				if err == nil {
					err = k.Verify(ctx, []byte(hello), good)
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
	for deadline := time.Now().Add(10 * time.Second); ok.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	s.cmd.Process.Kill()
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("%d calls succeeded before the kill, %d were unavailable after", ok.Load(), unavailable.Load())
	if ok.Load() == 0 || unavailable.Load() == 0 {
		t.Errorf("want successes before and failures after the kill: %d ok, %d unavailable", ok.Load(), unavailable.Load())
	}
	for i, err := range wrong {
		if i < 5 {
			t.Errorf("error that is not ErrUnavailable: %v", err)
		}
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
