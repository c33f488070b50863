package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestVenueServesDemo(t *testing.T) {
	profile := filepath.Join(t.TempDir(), "venue.prof")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, &env{stdin: strings.NewReader(""), stdout: pw, stderr: &stderr},
			[]string{"venue", "--listen", "127.0.0.1:0", "--verifier", "hmac:seed=42", "--cpuprofile", profile})
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("venue printed nothing: %v", err)
	}
	var last strings.Builder
	copied := make(chan struct{})
	go func() { io.Copy(&last, pr); close(copied) }()
	addr := regexp.MustCompile(`127\.0\.0\.1:\d+`).FindString(line)
	if addr == "" {
		t.Fatalf("no address in %q", line)
	}
	code, out, errOut := execRun(t, "demo", "--orders", "2000", "--venue", "tcp://"+addr, "--json")
	if code != exitOK || !strings.Contains(out, `"audit_verified":true`) {
		t.Fatalf("demo over TCP: exit %d: %s %s", code, out, errOut)
	}
	// A demo signing with another key is refused by the venue.
	code, out, _ = execRun(t, "demo", "--orders", "50", "--venue", "tcp://"+addr, "--signer", "hmac:seed=7", "--json")
	if code != exitOK || !strings.Contains(out, `"unknown key ID"`) {
		t.Fatalf("demo with another key: exit %d: %s", code, out)
	}
	cancel()
	select {
	case code := <-done:
		<-copied
		if code != exitOK {
			t.Fatalf("venue exit %d: %s", code, stderr.String())
		}
		if !strings.Contains(last.String(), "0 connections refused beyond --max-conns 1024, 0 closed idle") {
			t.Fatalf("venue's last words: %q; want its connection counters", last.String())
		}
		// --cpuprofile: a pprof profile (gzip) written until the venue stopped.
		if b, err := os.ReadFile(profile); err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Fatalf("--cpuprofile %s: %d bytes (%v), want a gzipped pprof profile", profile, len(b), err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("venue did not stop")
	}
}

func TestVenueBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"venue", "--verifier", "hmac:seed=42"}, "--listen"},
		{[]string{"venue", "--listen", "nonsense", "--verifier", "hmac:seed=42"}, "HOST:PORT"},
		{[]string{"venue", "--listen", "127.0.0.1:0", "--verifier", "hmac:seed=x"}, "seed"},
		{[]string{"venue", "--listen", "256.0.0.1:0", "--verifier", "hmac:seed=42"}, "venue"},
		{[]string{"venue", "--listen", "127.0.0.1:0", "--verifier", "hmac:seed=42", "--max-skew", "2h"}, "--max-skew"},
		{[]string{"venue", "--listen", "127.0.0.1:0", "--verifier", "hmac:seed=42", "--max-skew", "-5s"}, "--max-skew"},
		{[]string{"venue", "--listen", "127.0.0.1:0", "--verifier", "hmac:seed=42", "--max-skew", "5m"}, "--max-skew"},
		{[]string{"venue", "--listen", "127.0.0.1:0", "--verifier", "hmac:seed=42", "--max-skew", "0s"}, "--max-skew"},
		{[]string{"venue", "--listen", "127.0.0.1:0", "--verifier", "hmac:seed=42", "--max-conns", "0"}, "--max-conns"},
		{[]string{"venue", "--listen", "127.0.0.1:0", "--verifier", "hmac:seed=42", "--idle-timeout", "-1s"}, "--idle-timeout"},
	}
	t.Setenv("TINYWINDOW_SIGNER", "")
	for _, tc := range tests {
		code, _, stderr := execRun(t, tc.args...)
		if code != exitError || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %q", tc.args, code, stderr, tc.want)
		}
	}
	code, _, stderr := execRun(t, "venue", "--listen", "127.0.0.1:0")
	if code != exitError || !strings.Contains(stderr, "--verifier") {
		t.Errorf("no verifier: exit %d, %q", code, stderr)
	}
}
