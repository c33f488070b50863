package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

// dnsmasqPath returns the dnsmasq that scripts/setup.d/70-service-tools.sh
// installed (TW_DNSMASQ), or one on PATH or in /usr/sbin.
func dnsmasqPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TW_DNSMASQ"); p != "" {
		return p
	}
	if p, err := exec.LookPath("dnsmasq"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/dnsmasq"); err == nil {
		return "/usr/sbin/dnsmasq"
	}
	testenv.Need(t, "dnsmasq", "run scripts/setup.d/70-service-tools.sh (or apt-get install dnsmasq-base)")
	return ""
}

// freePortOn returns a TCP port free on every one of ips at the time of the
// call.
func freePortOn(t *testing.T, ips ...string) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", net.JoinHostPort(ips[0], "0"))
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		ls := []net.Listener{l}
		for _, ip := range ips[1:] {
			if o, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port))); err == nil {
				ls = append(ls, o)
			}
		}
		for _, o := range ls {
			o.Close()
		}
		if len(ls) == len(ips) {
			return port
		}
	}
	t.Fatal("no port free on all of", ips)
	return 0
}

// startDNS runs dnsmasq on a loopback UDP port, answering for name with
// every one of ips, and returns its address. It also publishes a gRPC
// service config for name in DNS (a TXT record) that asks for pick_first,
// one address only: the remote backend must ignore it.
func startDNS(t *testing.T, name string, ips []string) string {
	t.Helper()
	bin := dnsmasqPath(t)
	dir := t.TempDir()
	hosts := ""
	for _, ip := range ips {
		hosts += ip + " " + name + "\n"
	}
	hostsFile := filepath.Join(dir, "hosts")
	os.WriteFile(hostsFile, []byte(hosts), 0o644)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	_, port, _ := net.SplitHostPort(addr)
	pc.Close()
	args := []string{"--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--addn-hosts=" + hostsFile,
		"--listen-address=127.0.0.1", "--bind-interfaces", "--port=" + port, "--pid-file=", "--log-facility=-",
		`--txt-record=_grpc_config.` + name + `,grpc_config=[{"serviceConfig":{"loadBalancingConfig":[{"pick_first":{}}]}}]`}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	cmd := exec.Command(bin, args...)
	out, _ := os.Create(filepath.Join(dir, "dnsmasq.log"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		out.Close()
	})
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	for i := 0; ; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		got, err := r.LookupHost(ctx, name)
		cancel()
		slices.Sort(got)
		if err == nil && slices.Equal(got, ips) {
			return addr
		}
		if i == 100 {
			log, _ := os.ReadFile(out.Name())
			t.Fatalf("dnsmasq at %s answers %v, %v for %s, want %v\n%s", addr, got, err, name, ips, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServeFleetDNS runs three `tinywindow serve` processes on 127.0.0.1,
// 127.0.0.2 and 127.0.0.3, one port, behind one DNS name served by dnsmasq:
// a remote URI naming the one name spreads calls over all three (whatever
// balancing policy DNS publishes), and when
// one is killed mid-load only calls in flight on it fail, as
// ErrUnavailable.
func TestServeFleetDNS(t *testing.T) {
	bin := buildBinary(t)
	ips := []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}
	dns := startDNS(t, "signer.test", ips)
	ca := servicetest.NewCA(t, "serve test CA")
	trader := ca.Client(t, "trader")
	cert := ca.Issue(t, "signer", servicetest.CertOptions{CommonName: "tinywindow-signer", DNSNames: []string{"signer.test"}, Server: true})
	port := freePortOn(t, ips...)
	var fleet []*served
	for _, ip := range ips {
		cfgPath := filepath.Join(t.TempDir(), "service.yaml")
		os.WriteFile(cfgPath, []byte(fmt.Sprintf("listen: %s\nmetrics: {listen: '127.0.0.1:0'}\ntls:\n  cert: %s\n  key-source: file:%s\n  client-ca: %s\n"+
			"keys:\n  orders: hmac:seed=42\nclients:\n  - identity: trader\n    keys: ['*']\n    operations: [sign, verify]\n",
			net.JoinHostPort(ip, strconv.Itoa(port)), cert.CertFile, cert.KeyFile, ca.CertFile)), 0o644)
		fleet = append(fleet, startServe(t, bin, cfgPath))
	}
	uri := "remote:addr=signer.test:" + strconv.Itoa(port) + ";key=orders?" + ca.Query(trader) + "&dns-server=" + dns + "&timeout=5s"
	// One handle spreads its own calls over all three.
	k, err := provider.Open(context.Background(), uri)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	start := make([]int, len(fleet))
	for i, s := range fleet {
		start[i] = signsServed(t, s)
	}
	for i := 0; ; i++ {
		if _, err := k.Sign(context.Background(), []byte("order")); err != nil {
			t.Fatal(err)
		}
		if i%50 != 49 {
			continue
		}
		all := true
		for j, s := range fleet {
			all = all && signsServed(t, s) > start[j]
		}
		if all {
			break
		}
		if i >= 2000 {
			t.Fatalf("one handle sent %d signs, not to all three processes", i+1)
		}
	}
	l := servicetest.StartLoad(t, uri, 16)
	l.WaitOK(t, 300)
	l.End()
	for i, s := range fleet {
		if signsServed(t, s) == 0 {
			t.Errorf("serve on %s answered no Sign: the name's addresses are not all used", ips[i])
		}
	}
	killMidLoad(t, uri, fleet[0], fleet[1:])
}
