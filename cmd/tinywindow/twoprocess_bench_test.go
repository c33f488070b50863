package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// BenchmarkTwoProcess measures the TCP venue path as a user runs it, each
// end a process of its own: tinywindow venue, and tinywindow demo --venue
// tcp://… --no-audit --json sending it orders one at a time. Its baseline,
// measured in the same run, is a raw loopback echo between two processes
// (testdata/loopecho: a 200-byte frame out, a 33-byte answer back, one in
// flight). Each iteration runs both clients once, the one that goes first
// alternating, against servers started once, with as many orders as frames
// (5,000, or 1,000 batched): short runs, so that the two of an iteration
// meet the same load on a shared machine. It reports the medians over the
// iterations of each one's p50 and p99 and of the iterations' ratios.
// "per-order" signs each order on its own; "batched" adds --batch-window
// 50us (one sender: a batch of one order each, closed by its window).
//
//	go test -run '^$' -bench TwoProcess -benchtime 12x ./cmd/tinywindow/
func BenchmarkTwoProcess(b *testing.B) {
	bin := buildTool(b)
	echo := filepath.Join(b.TempDir(), "loopecho")
	if out, err := exec.Command("go", "build", "-o", echo, "./testdata/loopecho").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	venueAddr := startServer(b, "venue listening on ", bin, "venue", "--listen", "127.0.0.1:0", "--verifier", defaultDemoSigner)
	echoAddr := startServer(b, "listening on ", echo, "serve", "--listen", "127.0.0.1:0", "--in", "200", "--out", "33")
	for _, mode := range []struct {
		name   string
		orders int
		flags  []string
	}{
		{"per-order", 5000, nil},
		// Each order waits for its batch's window: fewer orders.
		{"batched", 1000, []string{"--batch-window", "50us", "--senders", "1"}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			n := fmt.Sprint(mode.orders)
			demoArgs := append([]string{"demo", "--venue", "tcp://" + venueAddr, "--no-audit", "--json", "--orders", n}, mode.flags...)
			echoArgs := []string{"send", "--addr", echoAddr, "--frames", n, "--in", "200", "--out", "33"}
			var venueP50, venueP99, echoP50, echoP99, ratioP50, ratioP99 []float64
			for i := 0; b.Loop(); i++ {
				var v50, v99, e50, e99 float64
				if i%2 == 0 {
					v50, v99 = runPercentiles(b, bin, demoArgs...)
					e50, e99 = runPercentiles(b, echo, echoArgs...)
				} else {
					e50, e99 = runPercentiles(b, echo, echoArgs...)
					v50, v99 = runPercentiles(b, bin, demoArgs...)
				}
				venueP50, venueP99 = append(venueP50, v50), append(venueP99, v99)
				echoP50, echoP99 = append(echoP50, e50), append(echoP99, e99)
				ratioP50, ratioP99 = append(ratioP50, v50/e50), append(ratioP99, v99/e99)
			}
			b.ReportMetric(median(venueP50), "venue-p50-ns")
			b.ReportMetric(median(echoP50), "echo-p50-ns")
			b.ReportMetric(median(ratioP50), "p50-ratio")
			b.ReportMetric(median(venueP99), "venue-p99-ns")
			b.ReportMetric(median(echoP99), "echo-p99-ns")
			b.ReportMetric(median(ratioP99), "p99-ratio")
		})
	}
}

// startServer starts bin with args, waits for the line of its stdout that
// begins with prefix, and returns the address that follows it. The process
// is killed when b ends.
func startServer(b *testing.B, prefix, bin string, args ...string) string {
	b.Helper()
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			addr, _, _ := strings.Cut(rest, " ")
			go func() { // keep draining, so that the server never blocks on its stdout
				for sc.Scan() {
				}
			}()
			return addr
		}
	}
	b.Fatalf("%s %v: no line %q on its stdout", bin, args, prefix)
	return ""
}

// runPercentiles runs bin with args and returns the p50_ns and p99_ns of
// the JSON object it prints.
func runPercentiles(b *testing.B, bin string, args ...string) (float64, float64) {
	b.Helper()
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		b.Fatalf("%s %v: %v", bin, args, err)
	}
	var res struct {
		P50 int64 `json:"p50_ns"`
		P99 int64 `json:"p99_ns"`
	}
	if err := json.Unmarshal(out, &res); err != nil || res.P50 <= 0 {
		b.Fatalf("%s %v: %v in %s", bin, args, err, out)
	}
	return float64(res.P50), float64(res.P99)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
