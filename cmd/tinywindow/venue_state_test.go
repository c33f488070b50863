package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
)

// startVenueCmd runs `tinywindow venue` with args in-process and returns its
// address and a function that stops it and returns its exit status and
// stderr.
func startVenueCmd(t *testing.T, args ...string) (string, func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, &env{stdin: strings.NewReader(""), stdout: pw, stderr: &stderr},
			append([]string{"venue", "--listen", "127.0.0.1:0"}, args...))
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("venue printed nothing: %v (%s)", err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	addr := regexp.MustCompile(`127\.0\.0\.1:\d+`).FindString(line)
	if addr == "" {
		t.Fatalf("no address in %q", line)
	}
	stopped := false
	stop := func() (int, string) {
		if stopped {
			return exitOK, ""
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			return code, stderr.String()
		case <-time.After(10 * time.Second):
			t.Fatal("venue did not stop")
		}
		return 0, ""
	}
	t.Cleanup(func() { stop() })
	return addr, stop
}

// sealedOrders returns n envelopes signed with key, and their client order
// IDs.
func sealedOrders(t *testing.T, key provider.Signer, prefix string, n int) ([][]byte, []string) {
	t.Helper()
	s, err := venue.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	var envs [][]byte
	var ids []string
	for i := range n {
		id := fmt.Sprintf("%s-%d", prefix, i)
		o := order.Order{ClientOrderID: id, Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Market,
			Quantity: 1, TimeInForce: order.IOC, Timestamp: time.Now().UnixNano()}
		b, err := o.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		env, err := s.Seal(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		envs = append(envs, append([]byte(nil), env...))
		ids = append(ids, id)
	}
	return envs, ids
}

func submit(t *testing.T, addr string, envs [][]byte, ids []string) []venue.Ack {
	t.Helper()
	c, err := venue.DialTCP(context.Background(), addr, venue.TCPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	acks := make([]venue.Ack, len(envs))
	for i := range envs {
		if acks[i], err = c.Submit(context.Background(), envs[i], []byte(ids[i])); err != nil {
			t.Fatalf("%s: %v", ids[i], err)
		}
	}
	return acks
}

func TestVenueStateAndSignedAcks(t *testing.T) {
	ctx := context.Background()
	orderKey, err := provider.Open(ctx, "hmac:seed=42")
	if err != nil {
		t.Fatal(err)
	}
	venueKey, err := provider.Open(ctx, "hmac:seed=9")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "state")
	args := []string{"--verifier", "hmac:seed=42", "--state", dir, "--signer", "hmac:seed=9"}
	addr, stop := startVenueCmd(t, args...)
	envs, ids := sealedOrders(t, orderKey, "s", 20)
	first := submit(t, addr, envs, ids)
	for i, a := range first {
		if a.Status != venue.Accepted {
			t.Fatalf("%s: %+v", ids[i], a)
		}
		if err := venue.VerifyAck(ctx, venueKey, a, []byte(ids[i]), envs[i]); err != nil {
			t.Fatalf("%s: %v", ids[i], err)
		}
	}
	// The demo checks the venue's signature on every ack.
	if code, out, errOut := execRun(t, "demo", "--orders", "300", "--venue", "tcp://"+addr, "--venue-verifier", "hmac:seed=9", "--json"); code != exitOK {
		t.Fatalf("demo verifying the venue's acks: exit %d: %s %s", code, out, errOut)
	}
	code, out, errOut := execRun(t, "demo", "--orders", "300", "--venue", "tcp://"+addr, "--venue-verifier", "hmac:seed=10", "--json")
	if code != exitError || !strings.Contains(out, "venue protocol violation") {
		t.Fatalf("demo with the wrong venue key: exit %d: %s %s", code, out, errOut)
	}
	if code, stderr := stop(); code != exitOK || stderr != "" {
		t.Fatalf("venue exit %d, stderr %q; want 0 and no line for clients that disconnected", code, stderr)
	}

	// After a restart on the same state every order is still a duplicate.
	addr, _ = startVenueCmd(t, args...)
	for i, a := range submit(t, addr, envs, ids) {
		if a.Reason != venue.ReasonDuplicate || a.VenueOrderID != first[i].VenueOrderID {
			t.Fatalf("%s after restart: %+v; want a duplicate of venue order %d", ids[i], a, first[i].VenueOrderID)
		}
	}
}

func TestDemoVenueThatNeverAnswers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
			go io.Copy(io.Discard, conn)
		}
	}()
	code, out, stderr := execRun(t, "demo", "--orders", "1000", "--venue", "tcp://"+ln.Addr().String(), "--timeout", "20ms")
	if code != exitError {
		t.Fatalf("exit %d; want 2", code)
	}
	for _, want := range []string{"failed      5", "stopped     after 5 of 1000 orders", "verified"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, "timed out") {
		t.Errorf("stderr %q does not say the orders timed out", stderr)
	}
}

func TestVenueDemoFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"venue", "--listen", "127.0.0.1:0", "--verifier", "hmac:seed=42", "--state", file}, "state"},
		{[]string{"venue", "--listen", "127.0.0.1:0", "--verifier", "hmac:seed=42", "--signer", "hmac:seed=x"}, "--signer"},
		{[]string{"demo", "--timeout", "0s"}, "--timeout"},
		{[]string{"demo", "--venue-verifier", "hmac:seed=9"}, "--venue"},
		{[]string{"demo", "--venue", "tcp://127.0.0.1:1", "--venue-verifier", "nosuch:x=1"}, "--venue-verifier"},
	}
	for _, tc := range tests {
		code, _, stderr := execRun(t, tc.args...)
		if code != exitError || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %q", tc.args, code, stderr, tc.want)
		}
	}
}

// TestVenueStateErrors: the venue refuses a damaged, a shared-writable and a
// held state directory, saying which and what to do, and tells what it cut
// from a torn tail.
func TestVenueStateErrors(t *testing.T) {
	ctx := context.Background()
	orderKey, err := provider.Open(ctx, "hmac:seed=42")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "state")
	args := []string{"--verifier", "hmac:seed=42", "--state", dir}
	addr, stop := startVenueCmd(t, args...)
	envs, ids := sealedOrders(t, orderKey, "e", 5)
	submit(t, addr, envs, ids)
	// While it runs, a second venue on the same directory is refused.
	if code, _, stderr := execRun(t, append([]string{"venue", "--listen", "127.0.0.1:0"}, args...)...); code != exitError || !strings.Contains(stderr, "held by process") {
		t.Errorf("second venue: exit %d, stderr %q; want 2 naming the holder", code, stderr)
	}
	stop()
	seg := filepath.Join(dir, fmt.Sprintf("%020d.dedup", 1))
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	// A torn tail is cut and reported.
	os.WriteFile(seg, append(b, b[:5]...), 0o600)
	_, stop = startVenueCmd(t, args...)
	if _, stderr := stop(); !strings.Contains(stderr, "cut a torn tail") || !strings.Contains(stderr, "5 bytes") {
		t.Errorf("stderr %q does not report the torn tail cut", stderr)
	}
	// A changed record refuses the state.
	bad := append([]byte(nil), b...)
	bad[30] ^= 1
	os.WriteFile(seg, bad, 0o600)
	if code, _, stderr := execRun(t, append([]string{"venue", "--listen", "127.0.0.1:0"}, args...)...); code != exitError || !strings.Contains(stderr, "corrupt") || !strings.Contains(stderr, seg) {
		t.Errorf("damaged state: exit %d, stderr %q; want 2 naming the segment as corrupt", code, stderr)
	}
	os.WriteFile(seg, b, 0o600)
	os.Chmod(dir, 0o777)
	if code, _, stderr := execRun(t, append([]string{"venue", "--listen", "127.0.0.1:0"}, args...)...); code != exitError || !strings.Contains(stderr, "chmod go-w "+dir) {
		t.Errorf("state of mode 0777: exit %d, stderr %q; want 2 saying chmod", code, stderr)
	}
}
