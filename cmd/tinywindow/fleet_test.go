package main

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

var servedSigns = regexp.MustCompile(`(?m)^tinywindow_service_requests_total\{[^}]*rpc_grpc_status_code="OK"[^}]*rpc_method="tinywindow.signer.v1.Signer/Sign"[^}]*\} (\S+)$`)

// signsServed returns how many Sign calls the serve process s has answered,
// from its /metrics.
func signsServed(t *testing.T, s *served) int {
	t.Helper()
	resp, err := http.Get("http://" + s.mAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	n := 0
	for _, m := range servedSigns.FindAllStringSubmatch(string(body), -1) {
		v, _ := strconv.ParseFloat(m[1], 64)
		n += int(v)
	}
	return n
}

// TestServeFleet runs three `tinywindow serve` processes with one config
// and a remote key over all three (addr=A,B,C). Under load from 16 workers,
// every process answers calls; one is drained with SIGTERM without a single
// failed call; another is killed with SIGKILL, and no worker (each has one
// call at a time) sees more than the one failure of a call in flight on the
// killed process, which is ErrUnavailable. The last process carries on.
func TestServeFleet(t *testing.T) {
	bin := buildBinary(t)
	ca := servicetest.NewCA(t, "serve test CA")
	trader := ca.Client(t, "trader")
	cfgPath := filepath.Join(t.TempDir(), "service.yaml")
	os.WriteFile(cfgPath, []byte(serveConfig(t, ca, "  orders: hmac:seed=42\n")), 0o644)
	var fleet []*served
	var addrs []string
	for range 3 {
		s := startServe(t, bin, cfgPath)
		fleet = append(fleet, s)
		addrs = append(addrs, s.addr)
	}
	uri := "remote:addr=" + strings.Join(addrs, ",") + ";key=orders?" + ca.Query(trader) + "&timeout=5s"
	l := servicetest.StartLoad(t, uri, 16)
	l.WaitOK(t, 300)
	for i, s := range fleet {
		if signsServed(t, s) == 0 {
			t.Errorf("serve %d answered no Sign: calls are not spread", i)
		}
	}

	// Drain one: health NOT_SERVING, calls in flight finish, exit 0.
	fleet[0].cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-fleet[0].exited:
		fleet[0].exited <- err
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	l.WaitOK(t, 300)
	for w, errs := range l.End() {
		for _, err := range errs {
			t.Errorf("worker %d, with one process drained: %v", w, err)
		}
	}

	// Kill another mid-load.
	killMidLoad(t, uri, fleet[1], fleet[2:])
}

// killMidLoad runs 16 workers on uri, kills victim with SIGKILL, and checks
// that the survivors carry the load on and that no worker (each has one
// call at a time) sees more than the one failure of a call in flight on the
// victim, which is ErrUnavailable.
func killMidLoad(t *testing.T, uri string, victim *served, survivors []*served) {
	t.Helper()
	l := servicetest.StartLoad(t, uri, 16)
	l.WaitOK(t, 300)
	victim.cmd.Process.Kill()
	before := 0
	for _, s := range survivors {
		before += signsServed(t, s)
	}
	l.WaitOK(t, 300)
	failed := l.End()
	after := 0
	for _, s := range survivors {
		after += signsServed(t, s)
	}
	if after-before < 300 {
		t.Errorf("the processes left answered %d signs after the kill, want at least 300", after-before)
	}
	cut := 0
	for w, errs := range failed {
		cut += len(errs)
		if len(errs) > 1 {
			t.Errorf("worker %d had %d failures, more than the one call it can have in flight: %v", w, len(errs), errs)
		}
		for _, err := range errs {
			if !errors.Is(err, provider.ErrUnavailable) || errors.Is(err, provider.ErrInvalidSignature) {
				t.Errorf("worker %d: %v, want ErrUnavailable", w, err)
			}
		}
	}
	t.Logf("after the SIGKILL: %d rounds succeeded, %d of 16 workers had a call cut", l.OK(), cut)
}
