package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/tinywindow/tinywindow/execadapter/demo"
)

// TestProgressLine: nothing for the first second, then at most one update
// per 100 ms however often the run reports, each overwriting the line, and
// the line cleared at the end.
func TestProgressLine(t *testing.T) {
	var out bytes.Buffer
	now := time.Unix(1000, 0)
	l := &progressLine{w: &out, now: func() time.Time { return now }, start: now}
	step := func(d time.Duration, done int) {
		now = now.Add(d)
		l.update(demo.Progress{Phase: demo.PhaseOrders, Done: done, Total: 10000})
	}
	for i := range 90 { // 0.9 s of reports every 10 ms: under a second, nothing
		step(10*time.Millisecond, (i+1)*10)
	}
	if out.Len() != 0 {
		t.Fatalf("progress within the first second: %q", out.String())
	}
	for i := range 100 { // the next second, reported every 10 ms: ten updates
		step(10*time.Millisecond, 1000+(i+1)*10)
	}
	if n := strings.Count(out.String(), "\r\x1b[K"); n < 9 || n > 11 {
		t.Fatalf("%d updates in a second of reports every 10 ms, want about 10: %q", n, out.String())
	}
	if !strings.Contains(out.String(), "2000 of 10000 orders (20%), 1053 orders/s, about 8s left") {
		t.Errorf("last update: %q", out.String())
	}
	out.Reset()
	step(time.Second, 10000)
	l.update(demo.Progress{Phase: demo.PhaseVerifying, Done: 10000, Total: 10000})
	l.done()
	if got := out.String(); !strings.HasPrefix(got, "\r\x1b[K  10000 of 10000 orders (100%)") || !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("end of run: %q", got)
	}
}

// TestDemoProgress runs the demo with stderr on a real pseudo-terminal: the
// progress shows there and is cleared before the summary; with stderr not a
// terminal, or with --json, none is written.
func TestDemoProgress(t *testing.T) {
	defer func(d time.Duration) { progressDelay = d }(progressDelay)
	progressDelay = 0

	master, slave := openPTY(t)
	var got bytes.Buffer
	copied := make(chan struct{})
	go func() { io.Copy(&got, master); close(copied) }()
	var out bytes.Buffer
	code := runMain(context.Background(), &env{stdin: strings.NewReader(""), stdout: &out, stderr: slave}, []string{"demo", "--orders", "3000"})
	slave.Close()
	<-copied
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, got.String())
	}
	s := got.String()
	if !strings.Contains(s, " of 3000 orders (") || !strings.HasSuffix(s, "\x1b[K") {
		t.Errorf("terminal got %q, want progress lines and the line cleared", s)
	}
	if strings.Contains(out.String(), "\x1b") {
		t.Errorf("the summary carries terminal escapes: %q", out.String())
	}

	for _, args := range [][]string{{"demo", "--orders", "3000"}, {"demo", "--orders", "3000", "--json"}} {
		code, _, stderr := execRun(t, args...)
		if code != exitOK || stderr != "" {
			t.Errorf("%v with stderr not a terminal: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// openPTY opens a pseudo-terminal pair (Linux /dev/ptmx).
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatalf("TIOCGPTN: %v", e)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatalf("TIOCSPTLCK: %v", e)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}
