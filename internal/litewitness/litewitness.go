// Package litewitness runs a real C2SP tlog-witness, filippo.io/torchwood's
// litewitness, for a test. It is a package of its own, not part of
// testenv, so that only the tests that start a witness link x/crypto/ssh.
package litewitness

import (
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
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tinywindow/tinywindow/internal/testenv"
)

// Witness is a real C2SP tlog-witness (filippo.io/torchwood's
// litewitness) run for one test on a free loopback port, with its own
// ssh-agent holding its key and its own database.
type Witness struct {
	// URL is the witness's root URL (its add-checkpoint endpoint is
	// URL/add-checkpoint).
	URL string
	// VerifierKey is its C2SP cosignature/v1 verifier key.
	VerifierKey string
}

// Start starts a litewitness that cosigns checkpoints of the
// log origin signed by the note verifier key logVkey. It needs
// TW_LITEWITNESS, TW_WITNESSCTL (scripts/setup.d/70-litewitness.sh) and
// ssh-agent; without them the test is skipped, or fails in CI (see testenv.Need).
// The witness is stopped when the test ends.
func Start(t testing.TB, origin, logVkey string) *Witness {
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
	waitDial(t, "unix", sock, "ssh-agent")
	add := exec.Command("ssh-add", keyFile)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v: %s", err, out)
	}
	db := filepath.Join(dir, "witness.db")
	for _, args := range [][]string{
		{"add-log", "-db", db, "-origin", origin},
		{"add-key", "-db", db, "-origin", origin, "-key", logVkey},
	} {
		if out, err := exec.Command(ctl, args...).CombinedOutput(); err != nil {
			t.Fatalf("witnessctl %v: %v: %s", args, err, out)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	sshPub, _ := ssh.NewPublicKey(pub)
	const name = "example.com/witness"
	cmd := exec.Command(bin, "-name", name, "-key", ssh.FingerprintSHA256(sshPub), "-ssh-agent", sock, "-db", db, "-listen", addr)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitDial(t, "tcp", addr, "litewitness")
	kb := append([]byte{0x04}, pub...)
	h := sha256.Sum256(append([]byte(name+"\n"), kb...))
	return &Witness{URL: "http://" + addr, VerifierKey: fmt.Sprintf("%s+%x+%s", name, h[:4], base64.StdEncoding.EncodeToString(kb))}
}

// waitDial waits until a connection to addr is accepted; the bound is
// generous for an oversubscribed machine.
func waitDial(t testing.TB, network, addr, what string) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var c net.Conn
		if c, err = net.Dial(network, addr); err == nil {
			c.Close()
			return
		}
	}
	t.Fatalf("%s does not accept connections on %s: %v", what, addr, err)
}
