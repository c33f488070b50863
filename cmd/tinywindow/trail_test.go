package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/provider"
)

// startTrailServe runs trail serve with args until the returned stop is
// called, and returns its URL; stop returns the exit status and output.
func startTrailServe(t *testing.T, args ...string) (string, func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, &env{stdin: strings.NewReader(""), stdout: pw, stderr: &stderr}, append([]string{"trail", "serve"}, args...))
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("trail serve printed nothing: %v; stderr %s", err, stderr.String())
	}
	var rest strings.Builder
	copied := make(chan struct{})
	go func() { io.Copy(&rest, pr); close(copied) }()
	u := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
	if u == "" {
		cancel()
		t.Fatalf("no URL in %q", line)
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
			<-copied
			return code, rest.String() + stderr.String()
		case <-time.After(30 * time.Second):
			t.Fatal("trail serve did not stop")
			return 0, ""
		}
	}
	t.Cleanup(func() { stop() })
	return u, stop
}

// TestTrailServe: trail serve accepts a real audit log's checkpoint, serves
// a trail checkpoint signed by --signer that covers it, stops on a signal
// with exit 0, and, started again on its directory, knows the origin's
// accepted checkpoint.
func TestTrailServe(t *testing.T) {
	dir := t.TempDir()
	trailKey := writeEd25519Key(t, dir, "trail.pem")
	logKey := writeEd25519Key(t, dir, "log.pem")
	const origin = "adapter.test/a"
	msg := adapterCheckpoint(t, dir, logKey, origin)

	args := []string{"--storage", "posix:" + filepath.Join(dir, "trail"), "--listen", "127.0.0.1:0",
		"--signer", "pem:key-source=file:" + trailKey, "--origin", "trail.test/firm",
		"--log", origin + "=pem:key-source=file:" + logKey}
	u, stop := startTrailServe(t, args...)
	post := func(u string) (int, string) {
		resp, err := http.Post(u+"/add-checkpoint", "text/plain", bytes.NewReader(append([]byte("old 0\n\n"), msg...)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, out := post(u); code != http.StatusOK || out != "index 0\n" {
		t.Fatalf("add-checkpoint: %d %q", code, out)
	}
	tk, err := provider.Open(context.Background(), "pem:key-source=file:"+trailKey)
	if err != nil {
		t.Fatal(err)
	}
	defer tk.Close()
	vkey, err := audit.CheckpointVerifierKey("trail.test/firm", tk)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := note.NewVerifier(vkey)
	for {
		resp, err := http.Get(u + "/checkpoint")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			n, err := note.Open(b, note.VerifierList(v))
			if err != nil {
				t.Fatalf("trail checkpoint: %v", err)
			}
			if strings.HasPrefix(n.Text, "trail.test/firm\n1\n") {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, out := stop(); code != exitOK || !strings.Contains(out, "trail stopped") {
		t.Fatalf("trail serve stopped with exit %d: %s", code, out)
	}

	u, stop = startTrailServe(t, args...)
	if code, out := post(u); code != http.StatusOK || out != "index 0\n" {
		t.Errorf("re-send after a restart: %d %q, want the same index", code, out)
	}
	stop()

	// The same settings from a config file.
	cfg := filepath.Join(dir, "trail.yaml")
	os.WriteFile(cfg, []byte("storage: posix:"+filepath.Join(dir, "trail")+"\nlisten: 127.0.0.1:0\nsigner: pem:key-source=file:"+trailKey+
		"\norigin: trail.test/firm\nlogs:\n  "+origin+": [pem:key-source=file:"+logKey+"]\n"), 0o600)
	u, _ = startTrailServe(t, "--config", cfg)
	if code, out := post(u); code != http.StatusOK || out != "index 0\n" {
		t.Errorf("re-send to a trail configured by file: %d %q, want the same index", code, out)
	}
}

// adapterCheckpoint writes a real audit log of 10 orders in dir, its
// checkpoints signed by the key in keyFile as origin, and returns its
// latest signed checkpoint.
func adapterCheckpoint(t *testing.T, dir, keyFile, origin string) []byte {
	t.Helper()
	k, err := provider.Open(context.Background(), "pem:key-source=file:"+keyFile)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	path := filepath.Join(dir, "orders.log")
	w, _, err := audit.Open(path, audit.Options{Signer: k, Origin: origin, CheckpointInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i := range 10 {
		if err := w.Append(audit.TypeOrder, int64(i), fmt.Appendf(nil, `{"id":%d}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	notes, err := audit.ReadCheckpoints(path + ".checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	return notes[len(notes)-1]
}

// TestTrailServeSIGTERM runs the built binary: SIGTERM right after a
// checkpoint was accepted ends trail serve with exit 0, once a published
// trail checkpoint covers it.
func TestTrailServeSIGTERM(t *testing.T) {
	bin := buildTool(t)
	dir := t.TempDir()
	trailKey := writeEd25519Key(t, dir, "trail.pem")
	logKey := writeEd25519Key(t, dir, "log.pem")
	msg := adapterCheckpoint(t, dir, logKey, "adapter.test/a")
	cmd := exec.Command(bin, "trail", "serve", "--storage", "posix:"+filepath.Join(dir, "trail"), "--listen", "127.0.0.1:0",
		"--signer", "pem:key-source=file:"+trailKey, "--origin", "trail.test/firm", "--log", "adapter.test/a=pem:key-source=file:"+logKey)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(stdout)
	line, err := r.ReadString('\n')
	u := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
	if err != nil || u == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("trail serve printed %q (%v); stderr %s", line, err, stderr.String())
	}
	resp, err := http.Post(u+"/add-checkpoint", "text/plain", bytes.NewReader(append([]byte("old 0\n\n"), msg...)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("add-checkpoint: %s", resp.Status)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	rest, _ := io.ReadAll(r)
	if code := exitOf(t, cmd); code != exitOK || !strings.Contains(string(rest), "trail stopped") {
		t.Fatalf("after SIGTERM: exit %d, stdout %q, stderr %s", code, rest, stderr.String())
	}
	cp, err := os.ReadFile(filepath.Join(dir, "trail", "checkpoint"))
	if err != nil || !strings.HasPrefix(string(cp), "trail.test/firm\n1\n") {
		t.Errorf("after SIGTERM, the published trail checkpoint is %q (%v), want one of size 1", cp, err)
	}
}

// TestTrailServeBadFlags: each configuration trail serve cannot run is
// refused with exit 2 and a message naming what to mend.
func TestTrailServeBadFlags(t *testing.T) {
	dir := t.TempDir()
	trailKey := "pem:key-source=file:" + writeEd25519Key(t, dir, "trail.pem")
	logKey := "pem:key-source=file:" + writeEd25519Key(t, dir, "log.pem")
	storage := "posix:" + filepath.Join(dir, "trail")
	badConfig := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badConfig, []byte("storage: "+storage+"\nlisten: 127.0.0.1:0\nsignr: x\n"), 0o600)
	goodConfig := filepath.Join(dir, "good.yaml")
	os.WriteFile(goodConfig, []byte("storage: "+storage+"\nlisten: 127.0.0.1:0\nsigner: "+logKey+"\nlogs:\n  adapter.test/a: ["+logKey+"]\n"), 0o600)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no storage", []string{"--listen", "127.0.0.1:0", "--signer", trailKey, "--log", "a=" + logKey}, "--storage is required"},
		{"no listen", []string{"--storage", storage, "--signer", trailKey, "--log", "a=" + logKey}, "--listen"},
		{"no signer", []string{"--storage", storage, "--listen", "127.0.0.1:0", "--log", "a=" + logKey}, "--signer URI is required"},
		{"no log", []string{"--storage", storage, "--listen", "127.0.0.1:0", "--signer", trailKey}, "no log registered"},
		{"log without =", []string{"--storage", storage, "--listen", "127.0.0.1:0", "--signer", trailKey, "--log", "adapter.test/a"}, "write ORIGIN=VERIFIER-URI"},
		{"log without key", []string{"--storage", storage, "--listen", "127.0.0.1:0", "--signer", trailKey, "--log", "adapter.test/a="}, "write ORIGIN=VERIFIER-URI"},
		{"unknown storage", []string{"--storage", "nfs:/x", "--listen", "127.0.0.1:0", "--signer", trailKey, "--log", "a=" + logKey}, "write one of aws:…, posix:…"},
		{"signer is a log's key", []string{"--storage", storage, "--listen", "127.0.0.1:0", "--signer", logKey, "--log", "a=" + logKey}, "give the trail a key of its own"},
		{"signer not Ed25519", []string{"--storage", storage, "--listen", "127.0.0.1:0", "--signer", "hmac:seed=1", "--log", "a=" + logKey}, "give an Ed25519 key"},
		{"witness without =", []string{"--storage", storage, "--listen", "127.0.0.1:0", "--signer", trailKey, "--log", "a=" + logKey, "--witness", "http://w"}, "write URL=VKEY"},
		{"witness with a bad key", []string{"--storage", storage, "--listen", "127.0.0.1:0", "--signer", trailKey, "--log", "a=" + logKey, "--witness", "http://w=not-a-key"}, "give its cosignature/v1 key"},
		{"unknown config field", []string{"--config", badConfig}, "field signr not found"},
		{"config's signer is its log's key", []string{"--config", goodConfig}, "give the trail a key of its own"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := execRun(t, append([]string{"trail", "serve"}, tc.args...)...)
			if code != exitError || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
		})
	}
}
