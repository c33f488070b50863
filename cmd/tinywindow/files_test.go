//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fileArg is one file the command line takes: the subcommand's words, and
// the flag naming the file ("" for a positional argument).
type fileArg struct {
	cmd  string // "sign", "audit verify"
	flag string
	kind *fileKind
}

// fileFlags returns every flag of type fileFlag of every registered
// subcommand (and of every audit subcommand), found in the flag sets the
// subcommands make when asked for help.
func fileFlags(t *testing.T) []fileArg {
	t.Helper()
	var invocations [][]string
	for _, c := range commands {
		invocations = append(invocations, []string{c.name})
	}
	for _, c := range auditCommands {
		invocations = append(invocations, []string{"audit", c.name})
	}
	for _, c := range trailCommands {
		invocations = append(invocations, []string{"trail", c.name})
	}
	var out []fileArg
	for _, words := range invocations {
		var sets []*flag.FlagSet
		e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
			flagSets: func(fs *flag.FlagSet) { sets = append(sets, fs) }}
		if code := runMain(context.Background(), e, append(slices.Clone(words), "-h")); code != exitOK {
			t.Fatalf("tinywindow %s -h: exit %d", strings.Join(words, " "), code)
		}
		for _, fs := range sets {
			fs.VisitAll(func(f *flag.Flag) {
				if ff, ok := f.Value.(fileFlag); ok {
					out = append(out, fileArg{cmd: strings.Join(words, " "), flag: f.Name, kind: ff.kind})
				}
			})
		}
	}
	return out
}

// TestEveryFileArgument walks every file-taking flag of every subcommand,
// found by type in the flag sets the subcommands register (so that a new
// one is covered as soon as it exists), and the positional files of audit,
// running the built binary on each:
//
//   - with a named pipe that a writer holds open and never writes to, the
//     process ends with status 2 within a second of SIGTERM, or at once by
//     itself when the file must be a regular file, naming the path;
//   - with /dev/zero, it is refused with status 2, naming the path, and
//     the process's peak memory (max RSS) stays under 64 MiB (an output
//     file may be a device, as /dev/null: not tried).
func TestEveryFileArgument(t *testing.T) {
	bin := buildTool(t)
	dir := t.TempDir()
	helper := filepath.Join(dir, "maxrss")
	if out, err := exec.Command("go", "build", "-o", helper, "./testdata/maxrss").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	log := filepath.Join(dir, "audit.log")
	if code, _, stderr := execRun(t, "demo", "--orders", "20", "--audit", log); code != exitOK {
		t.Fatalf("demo: %s", stderr)
	}
	// An asymmetric key, for csr and cert.
	ecFile := filepath.Join(dir, "ec.pem")
	if code, _, stderr := run(t, "", "keygen", "--alg", "ECDSA-P256-SHA256", "--out", ecFile); code != exitOK {
		t.Fatalf("keygen: %s", stderr)
	}
	ecKey := "pem:alg=ECDSA-P256-SHA256;key-source=file:" + ecFile
	// base holds, per subcommand (or per subcommand and flag), arguments
	// that bring it to read the file under test: every other file it
	// reads is fine.
	base := map[string][]string{
		"sign":                    {"--signer", signer, "--in", os.DevNull},
		"verify":                  {"--signer", signer, "--sig", tag42, "--in", os.DevNull},
		"pubkey":                  {"--signer", signer},
		"bench":                   {"--signer", signer, "--duration", "1ms"},
		"conformance":             {"--signer", signer},
		"csr":                     {"--signer", ecKey, "--subject", "CN=t", "--out", filepath.Join(dir, "t.csr")},
		"cert":                    {"--signer", ecKey, "--subject", "CN=t", "--out", filepath.Join(dir, "t.pem")},
		"cert --ca-cert":          {"--signer", ecKey, "--subject", "CN=t", "--out", filepath.Join(dir, "t.pem"), "--ca-signer", ecKey},
		"demo":                    {"--orders", "1", "--no-audit"},
		"serve":                   {},
		"keygen":                  {"--alg", "Ed25519"},
		"audit verify":            {log, "--signer", signer},
		"audit verify FILE":       {"--signer", signer},
		"audit prove FILE":        {"--record", "1"},
		"audit check-proof PROOF": {"--verifier", signer},
		"trail serve":             {},
		"trail check-proof PROOF": {"--verifier", signer, "--trail-verifier", signer},
		"venue":                   {"--listen", "127.0.0.1:0", "--verifier", signer},
	}
	args := fileFlags(t)
	if len(args) < 10 {
		t.Fatalf("found only %d file-taking flags: %v", len(args), args)
	}
	args = append(args,
		fileArg{cmd: "audit verify", flag: "FILE", kind: kindAuditLog},
		fileArg{cmd: "audit prove", flag: "FILE", kind: kindAuditLog},
		fileArg{cmd: "audit check-proof", flag: "PROOF", kind: kindProof},
		fileArg{cmd: "trail check-proof", flag: "PROOF", kind: kindTrailProof},
	)
	for _, a := range args {
		words := strings.Fields(a.cmd)
		b, ok := base[a.cmd+" --"+a.flag]
		if !ok {
			b, ok = base[a.cmd+" "+a.flag]
		}
		if !ok {
			b, ok = base[a.cmd]
		}
		if !ok {
			t.Errorf("%s --%s: no arguments to reach the file with: add the subcommand to base", a.cmd, a.flag)
			continue
		}
		argv := func(path string) []string {
			if a.flag == strings.ToUpper(a.flag) { // positional
				return slices.Concat(words, []string{path}, b)
			}
			return slices.Concat(words, b, []string{"--" + a.flag, path})
		}
		t.Run(a.cmd+" "+a.flag+"/named pipe", func(t *testing.T) {
			fifo := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			code, stderr := runOnPipe(t, bin, argv(fifo), fifo)
			if code != exitError || !strings.Contains(stderr, strconv.Quote(fifo)) {
				t.Fatalf("exit %d, want 2 naming %q; stderr %q", code, fifo, stderr)
			}
			if !a.kind.stream && a.kind != kindNewFile && !strings.Contains(stderr, "named pipe") {
				t.Fatalf("a %s must be a regular file, but stderr %q does not say it is a named pipe", a.kind.name, stderr)
			}
		})
		t.Run(a.cmd+" "+a.flag+"/dev zero", func(t *testing.T) {
			if a.kind.output {
				t.Skip("an output file may be a device")
			}
			code, rss, stderr := runMeasured(t, helper, append([]string{bin}, argv("/dev/zero")...))
			t.Logf("exit %d, max RSS %d MiB: %s", code, rss>>20, stderr)
			if code != exitError || !strings.Contains(stderr, `"/dev/zero"`) {
				t.Fatalf("exit %d, want 2 naming /dev/zero; stderr %q", code, stderr)
			}
			if rss >= 64<<20 {
				t.Fatalf("max RSS %d MiB, want under 64 MiB", rss>>20)
			}
		})
	}
}

// runOnPipe runs the binary with args, which name the named pipe fifo, and
// returns its exit status and standard error. It waits until the process
// either has ended by itself or holds the pipe open for reading (a writer
// can then open it: the test holds it open and never writes), then sends
// SIGTERM and requires the process to end within a second of it. The wait
// before the signal is bounded only to keep a broken build from hanging.
func runOnPipe(t *testing.T, bin string, args []string, fifo string) (int, string) {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), "TINYWINDOW_SIGNER=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	status := func(err error) int {
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ee):
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				t.Fatalf("%v was killed by %v instead of exiting", args, ws.Signal())
			}
			return ee.ExitCode()
		}
		t.Fatal(err)
		return -1
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		select {
		case err := <-exited:
			return status(err), stderr.String()
		default:
		}
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			defer w.Close() // held open, never written, until the process has ended
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			t.Fatalf("%v neither ended nor opened the named pipe; stderr %q", args, stderr.String())
		}
	}
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		took := time.Since(sent)
		t.Logf("ended %v after SIGTERM", took)
		if took > time.Second {
			t.Errorf("%v ended %v after SIGTERM, more than a second", args, took)
		}
		return status(err), stderr.String()
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Fatalf("%v still runs a minute after SIGTERM; stderr %q", args, stderr.String())
	}
	return -1, ""
}

// runMeasured runs args through the maxrss helper (testdata/maxrss, built
// at helper) and returns the exit status, the peak resident memory in bytes
// and the standard error of the process.
func runMeasured(t *testing.T, helper string, args []string) (code int, maxRSS int64, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(helper, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "TINYWINDOW_SIGNER=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if c := exitOf(t, cmd); c != 0 {
		t.Fatalf("maxrss: exit %d: %s%s", c, out.String(), errOut.String())
	}
	if _, err := fmt.Sscanf(out.String(), "maxrss %d exit %d", &maxRSS, &code); err != nil {
		t.Fatalf("maxrss output %q: %v; stderr %q", out.String(), err, errOut.String())
	}
	return code, maxRSS << 10, errOut.String() // Linux counts KiB
}

// TestMessageFromNamedPipe: a message given as a named pipe is read once a
// writer has opened it, to the writer's end: the pipe is opened without
// blocking and then waited on, not read as empty before the writer comes.
func TestMessageFromNamedPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "msg")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	wrote := make(chan error, 1)
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // waits for the reader
		if err != nil {
			wrote <- err
			return
		}
		time.Sleep(10 * time.Millisecond) // the reader waits for data, not only for a writer
		_, err = w.Write([]byte(hello))
		w.Close()
		wrote <- err
	}()
	code, out, stderr := run(t, "", "sign", "--signer", signer, "--in", fifo)
	if code != exitOK || out != tag42+"\n" {
		t.Fatalf("sign --in a named pipe: exit %d, %q, %s; want the tag of %q", code, out, stderr, hello)
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
}

// TestAuditProveSiblingFiles: audit prove reads the log's index and hashes
// files beside it; either one replaced by a named pipe is refused at once
// (status 2, naming it), not waited on.
func TestAuditProveSiblingFiles(t *testing.T) {
	for _, ext := range []string{".idx", ".hashes"} {
		t.Run(ext, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "audit.log")
			if code, _, stderr := execRun(t, "demo", "--orders", "5", "--audit", log); code != exitOK {
				t.Fatalf("demo: %s", stderr)
			}
			if err := os.Remove(log + ext); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mkfifo(log+ext, 0o600); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			var code int
			var stderr string
			go func() {
				defer close(done)
				code, _, stderr = execRun(t, "audit", "prove", log, "--record", "1")
			}()
			select {
			case <-done:
			case <-time.After(60 * time.Second):
				t.Fatalf("audit prove is still waiting on the named pipe %s", log+ext)
			}
			if code != exitError || !strings.Contains(stderr, strconv.Quote(log+ext)) || !strings.Contains(stderr, "named pipe") {
				t.Fatalf("exit %d, stderr %q; want 2 naming the named pipe %q", code, stderr, log+ext)
			}
		})
	}
}
