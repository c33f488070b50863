// Package litewitness runs a real C2SP tlog-witness, filippo.io/torchwood's
// litewitness, for a test. It is a package of its own, not part of
// testenv, so that only the tests that start a witness link x/crypto/ssh.
package litewitness

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tinywindow/tinywindow/internal/testenv"
)

// Name is the name of every test witness's key.
const Name = "example.com/witness"

// Witness is a real C2SP tlog-witness (filippo.io/torchwood's
// litewitness) run for one test on a free loopback port, with its own
// ssh-agent holding its key and its own database. It is stopped when the
// test ends.
type Witness struct {
	// URL is the witness's root URL (its add-checkpoint endpoint is
	// URL/add-checkpoint), fixed from the first Start on.
	URL string
	// VerifierKey is its C2SP cosignature/v1 verifier key, computed here
	// from its public key.
	VerifierKey string

	t      testing.TB
	bin    string
	ctl    string
	db     string
	sock   string
	fp     string
	addr   string
	cmd    *exec.Cmd
	mu     sync.Mutex
	out    bytes.Buffer
	logged string // the verifier key litewitness logs
}

// New prepares a litewitness, not started: its key in an ssh-agent of its
// own and an empty database. It needs TW_LITEWITNESS, TW_WITNESSCTL
// (scripts/setup.d/70-litewitness.sh) and ssh-agent; without them the test
// is skipped, or fails in CI (see testenv.Need).
func New(t testing.TB) *Witness {
	t.Helper()
	bin, ctl := os.Getenv("TW_LITEWITNESS"), os.Getenv("TW_WITNESSCTL")
	if bin == "" || ctl == "" {
		testenv.Need(t, "litewitness and witnessctl (TW_LITEWITNESS, TW_WITNESSCTL)", "source scripts/setup.d/70-litewitness.sh")
	}
	if _, err := exec.LookPath("ssh-agent"); err != nil {
		testenv.Need(t, "ssh-agent", "apt-get install openssh-client (scripts/setup.d/70-litewitness.sh does)")
	}
	dir := t.TempDir()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "witness")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "witness.key")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	agent.Stdout, agent.Stderr = io.Discard, io.Discard
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	// The socket appears at bind, before the agent listens: wait for a
	// connection to be accepted.
	waitDial(t, "unix", sock, "ssh-agent", nil)
	add := exec.Command("ssh-add", keyFile)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v: %s", err, out)
	}
	sshPub, _ := ssh.NewPublicKey(pub)
	kb := append([]byte{0x04}, pub...)
	h := sha256.Sum256(append([]byte(Name+"\n"), kb...))
	return &Witness{
		VerifierKey: fmt.Sprintf("%s+%x+%s", Name, h[:4], base64.StdEncoding.EncodeToString(kb)),
		t:           t, bin: bin, ctl: ctl, db: filepath.Join(dir, "witness.db"), sock: sock, fp: ssh.FingerprintSHA256(sshPub),
	}
}

// Start starts a litewitness that cosigns checkpoints of the log origin
// signed by the note verifier key logVkey (see New for what it needs).
func Start(t testing.TB, origin, logVkey string) *Witness {
	t.Helper()
	w := New(t)
	w.AddLog(origin, logVkey)
	w.Start()
	return w
}

// AddLog makes the witness accept checkpoints of the log origin signed by
// the note verifier key vkey.
func (w *Witness) AddLog(origin, vkey string) {
	w.t.Helper()
	for _, args := range [][]string{
		{"add-log", "-db", w.db, "-origin", origin},
		{"add-key", "-db", w.db, "-origin", origin, "-key", vkey},
	} {
		if out, err := exec.Command(w.ctl, args...).CombinedOutput(); err != nil {
			w.t.Fatalf("witnessctl %v: %v: %s", args, err, out)
		}
	}
}

// Start runs the witness, on a free port the first time and on the same
// one after a Stop, and returns once it accepts connections.
func (w *Witness) Start() {
	w.t.Helper()
	if w.addr == "" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			w.t.Fatal(err)
		}
		w.addr = l.Addr().String()
		l.Close()
		w.URL = "http://" + w.addr
	}
	cmd := exec.Command(w.bin, "-name", Name, "-key", w.fp, "-ssh-agent", w.sock, "-db", w.db, "-listen", w.addr)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		re := regexp.MustCompile(`vkey=(\S+)`)
		for sc.Scan() {
			w.mu.Lock()
			w.out.WriteString(sc.Text() + "\n")
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				w.logged = m[1]
			}
			w.mu.Unlock()
		}
	}()
	w.cmd = cmd
	w.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); pw.Close() })
	waitDial(w.t, "tcp", w.addr, "litewitness", w.Output)
}

// Stop kills the witness; Start runs it again on the same port.
func (w *Witness) Stop() {
	w.cmd.Process.Kill()
	w.cmd.Wait()
}

// Output returns what the witness has written to its stdout and stderr.
func (w *Witness) Output() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.String()
}

// LoggedVerifierKey returns the verifier key the witness logged at its
// start ("" until it has).
func (w *Witness) LoggedVerifierKey() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.logged
}

// waitDial waits until a connection to addr is accepted; the bound is
// generous for an oversubscribed machine. output, if not nil, adds the
// process's output to the failure.
func waitDial(t testing.TB, network, addr, what string, output func() string) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var c net.Conn
		if c, err = net.Dial(network, addr); err == nil {
			c.Close()
			return
		}
	}
	var out string
	if output != nil {
		out = output()
	}
	t.Fatalf("%s does not accept connections on %s: %v\n%s", what, addr, err, out)
}
