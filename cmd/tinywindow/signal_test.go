//go:build linux

package main

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/tinywindow/tinywindow/service/servicetest"
)

// buildTool builds the tinywindow binary into a temporary directory.
func buildTool(t testing.TB) string {
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

// pending returns the number of bytes waiting in the pipe whose read end
// is r (FIONREAD).
func pending(t *testing.T, r *os.File) int {
	var n int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, r.Fd(), syscall.TIOCINQ, uintptr(unsafe.Pointer(&n))); errno != 0 {
		t.Fatal(errno)
	}
	return int(n)
}

// waitUntil polls cond for at most a generous bound; it never asserts on
// speed, it only keeps a broken build from hanging the test run.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s", what)
		}
	}
}

// exitOf waits for cmd (for at most a generous bound, killing it after)
// and returns its exit status.
func exitOf(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%v did not end after the signal", cmd.Args)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("%v was killed by %v instead of exiting", cmd.Args, ws.Signal())
		}
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

// TestSignalsAndSpecialFiles runs the built binary: a signal ends every
// wait with status 2, and a named pipe given as a file is refused at once.
func TestSignalsAndSpecialFiles(t *testing.T) {
	bin := buildTool(t)
	t.Run("stdin", func(t *testing.T) { testSignalEndsStdinWait(t, bin) })
	t.Run("named pipe --in", func(t *testing.T) { testSignalEndsPipeWait(t, bin) })
	t.Run("network", func(t *testing.T) { testSignalEndsNetworkWait(t, bin) })
	t.Run("named pipe", func(t *testing.T) { testNamedPipeConfig(t, bin) })
}

// testSignalEndsStdinWait: sign and verify waiting on a standard input that
// stays open end at once on SIGTERM or SIGINT, with status 2 and a message
// that names the signal. The test writes part of a message and waits until
// the process has read it (so its signal handler is in place), then
// signals it while the pipe stays open.
func testSignalEndsStdinWait(t *testing.T, bin string) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		for _, args := range [][]string{
			{"sign", "--signer", signer},
			{"verify", "--signer", signer, "--sig", tag42},
			{"sign", "--signer", signer, "--in", "-"},
		} {
			t.Run(sig.String()+"/"+strings.Join(args, " "), func(t *testing.T) {
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				defer w.Close() // held open until the process has ended
				var stderr bytes.Buffer
				cmd := exec.Command(bin, args...)
				cmd.Stdin, cmd.Stderr = r, &stderr
				cmd.Env = append(os.Environ(), "TINYWINDOW_SIGNER=")
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				if _, err := w.Write([]byte("part of a message")); err != nil {
					t.Fatal(err)
				}
				waitUntil(t, "the process to read standard input", func() bool { return pending(t, r) == 0 })
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				if code := exitOf(t, cmd); code != exitError {
					t.Fatalf("exit %d, want 2; stderr %q", code, stderr.String())
				}
				t.Logf("stderr: %s", stderr.String())
				if !strings.Contains(stderr.String(), "signal") || !strings.Contains(stderr.String(), "standard input") {
					t.Fatalf("stderr %q does not say the wait on standard input ended on a signal", stderr.String())
				}
			})
		}
	}
}

// testSignalEndsPipeWait: sign --in a named pipe (which a message may be,
// as with --in <(cmd)) waits for a writer and then for data; SIGTERM ends
// the wait with status 2. The test knows the process holds the pipe open
// for reading when a non-blocking open for writing succeeds.
func testSignalEndsPipeWait(t *testing.T, bin string) {
	fifo := filepath.Join(t.TempDir(), "msg")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "sign", "--signer", signer, "--in", fifo)
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), "TINYWINDOW_SIGNER=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var w *os.File
	waitUntil(t, "the process to open the pipe", func() bool {
		var err error
		w, err = os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		return err == nil // ENXIO until a reader has it open
	})
	defer w.Close() // held open, never written
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := exitOf(t, cmd); code != exitError || !strings.Contains(stderr.String(), "signal") {
		t.Fatalf("exit %d, stderr %q; want 2 and a word on the signal", code, stderr.String())
	}
}

// testSignalEndsNetworkWait: sign waiting on a signing service that accepts
// the connection and never answers ends on SIGTERM with status 2.
func testSignalEndsNetworkWait(t *testing.T, bin string) {
	ca := servicetest.NewCA(t, "test CA")
	client := ca.Client(t, "trader")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c // held open, never answered
		}
	}()
	defer func() {
		for len(accepted) > 0 {
			(<-accepted).Close()
		}
	}()
	uri := "remote:addr=" + ln.Addr().String() + ";key=orders?" + ca.Query(client) + "&timeout=10m&retries=0"
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "sign", "--signer", uri, "--in", os.DevNull)
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), "TINYWINDOW_SIGNER=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-accepted:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the process never connected; stderr %q", stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := exitOf(t, cmd); code != exitError {
		t.Fatalf("exit %d, want 2; stderr %q", code, stderr.String())
	}
	t.Logf("stderr: %s", stderr.String())
}

// testNamedPipeConfig: a named pipe as --config or as a file: secret source
// is refused at once with status 2; nobody ever writes to it.
func testNamedPipeConfig(t *testing.T, bin string) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"sign", "--config", fifo, "--in", os.DevNull},
		{"sign", "--signer", "hmac:key-source=file:" + fifo, "--in", os.DevNull},
	} {
		var stderr bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stderr = &stderr
		cmd.Env = append(os.Environ(), "TINYWINDOW_SIGNER=")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if code := exitOf(t, cmd); code != exitError || !strings.Contains(stderr.String(), "named pipe") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a word on the named pipe", args, code, stderr.String())
		}
	}
}
