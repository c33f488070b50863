package audit

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
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/mod/sumdb/note"

	"github.com/tinywindow/tinywindow/provider"

	"github.com/tinywindow/tinywindow/internal/testenv"
)

// litewitness is a real witness (filippo.io/torchwood's litewitness) run
// for one test: its own ssh-agent holding its key, its own database, a
// free loopback port.
type litewitness struct {
	t      *testing.T
	bin    string
	db     string
	sock   string
	fp     string
	name   string
	addr   string
	vkey   string // computed here from the public key
	logged string // as litewitness logs it
	cmd    *exec.Cmd
	out    *bytes.Buffer
	mu     *sync.Mutex
	ctl    string
}

func startAgent(t *testing.T, dir string) string {
	sock := filepath.Join(dir, "agent.sock")
	cmd := exec.Command("ssh-agent", "-D", "-a", sock)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// The socket file appears at bind, before the agent listens: wait until
	// a connection is accepted, not until the file exists. The bound is
	// generous for an oversubscribed machine.
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var c net.Conn
		if c, err = net.Dial("unix", sock); err == nil {
			c.Close()
			return sock
		}
	}
	t.Fatalf("ssh-agent does not accept connections on %s: %v", sock, err)
	return ""
}

func newLitewitness(t *testing.T) *litewitness {
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
	sock := startAgent(t, dir)
	add := exec.Command("ssh-add", keyFile)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v: %s", err, out)
	}
	sshPub, _ := ssh.NewPublicKey(pub)
	name := "example.com/witness"
	kb := append([]byte{0x04}, pub...)
	h := sha256.Sum256(append([]byte(name+"\n"), kb...))
	w := &litewitness{t: t, bin: bin, db: filepath.Join(dir, "witness.db"), sock: sock, fp: ssh.FingerprintSHA256(sshPub),
		name: name, vkey: fmt.Sprintf("%s+%x+%s", name, h[:4], base64.StdEncoding.EncodeToString(kb)), mu: &sync.Mutex{}}
	w.ctl = ctl
	return w
}

func (w *litewitness) addLog(origin, vkey string) {
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

// start runs litewitness on addr (a free port the first time).
func (w *litewitness) start() {
	w.t.Helper()
	if w.addr == "" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			w.t.Fatal(err)
		}
		w.addr = l.Addr().String()
		l.Close()
	}
	w.cmd = exec.Command(w.bin, "-name", w.name, "-key", w.fp, "-ssh-agent", w.sock, "-db", w.db, "-listen", w.addr)
	w.out = &bytes.Buffer{}
	pr, pw := io.Pipe()
	w.cmd.Stdout, w.cmd.Stderr = pw, pw
	if err := w.cmd.Start(); err != nil {
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
	cmd := w.cmd
	w.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); pw.Close() })
	for range 200 {
		if c, err := net.Dial("tcp", w.addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.t.Fatalf("litewitness did not listen on %s: %s", w.addr, w.output())
}

func (w *litewitness) stop() {
	w.cmd.Process.Kill()
	w.cmd.Wait()
}

func (w *litewitness) output() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestWitness runs the writer against a real litewitness: checkpoints are
// cosigned over C2SP tlog-witness, with consistency proofs from the size
// the witness knows; a witness that is down never stops Append, and the
// latest checkpoint is cosigned when it is back; a fork of the log is
// never cosigned; Verify requires the cosignatures.
func TestWitness(t *testing.T) {
	lw := newLitewitness(t)
	ek := newEdKey(t)
	origin := "example.com/tinywindow/audit-test"
	logVkey, err := CheckpointVerifierKey(origin, ek)
	if err != nil {
		t.Fatal(err)
	}
	lw.addLog(origin, logVkey)
	lw.start()
	waitFor(t, "litewitness's verifier key line", func() bool { lw.mu.Lock(); defer lw.mu.Unlock(); return lw.logged != "" })
	if lw.logged != lw.vkey {
		t.Fatalf("litewitness's verifier key %q, computed %q", lw.logged, lw.vkey)
	}
	wv, err := ParseWitnessKey(lw.vkey)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	path := filepath.Join(t.TempDir(), "a.log")
	opts := Options{Signer: ek, Origin: origin, Durability: Batch, CheckpointEvery: 20, Logger: quiet,
		Witnesses: []Witness{{URL: "http://" + lw.addr, Key: lw.vkey, Timeout: 2 * time.Second}}}
	w, _, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		w.Append(TypeNote, int64(i), []byte("n"))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	if st.Cosignatures == 0 || st.WitnessBehind != 0 {
		t.Fatalf("first session: %+v\n%s", st, lw.output())
	}
	keys := keyringOf(t, ek)
	ck, _ := ReadCheckpoints(path + ".checkpoints")
	rep, err := verifyPath(path, VerifyOptions{Keys: keys, Checkpoints: ck, Witnesses: []note.Verifier{wv}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Witnessed[lw.name] != int64(rep.Records)-1 {
		t.Fatalf("witness cosigned up to %d of %d records", rep.Witnessed[lw.name], rep.Records-1)
	}

	// The witness goes down: Append goes on, failures are counted, the
	// latest checkpoint waits; when it is back, it is cosigned (with a
	// consistency proof from the size the witness knows: a new Writer
	// starts at 0 and learns it from 409 Conflict).
	lw.stop()
	w, _, err = Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := w.Append(TypeNote, int64(i), []byte("m")); err != nil {
			t.Fatal(err)
		}
	}
	w.Sync()
	waitFor(t, "a failed witness request", func() bool { return w.Stats().WitnessFailures > 0 })
	if w.Stats().WitnessBehind != 1 {
		t.Fatalf("stats %+v", w.Stats())
	}
	lw.start()
	waitFor(t, "the witness to catch up", func() bool { return w.Stats().WitnessBehind == 0 })
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ck, _ = ReadCheckpoints(path + ".checkpoints")
	rep, err = verifyPath(path, VerifyOptions{Keys: keys, Checkpoints: ck, Witnesses: []note.Verifier{wv}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Witnessed[lw.name] != int64(rep.Records)-1 {
		t.Fatalf("after the outage the witness cosigned up to %d of %d records", rep.Witnessed[lw.name], rep.Records-1)
	}

	// A fork: the log cut back to its first session and extended with
	// other records, with a checkpoints file of its own. The witness
	// refuses it.
	b := mustRead(t, path)
	_, recs := splitRecords(b)
	first := len(Magic)
	for _, r := range recs[:50] {
		first += len(r)
	}
	fork := filepath.Join(t.TempDir(), "fork.log")
	os.WriteFile(fork, b[:first], 0o600)
	fw, _, err := Open(fork, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		fw.Append(TypeNote, int64(i), []byte("forked"))
	}
	fw.Sync()
	waitFor(t, "the witness to refuse the fork", func() bool { return fw.Stats().WitnessFailures > 0 })
	fw.Close()
	if fw.Stats().Cosignatures != 0 {
		t.Fatalf("the witness cosigned a fork: %+v", fw.Stats())
	}
	ck, _ = ReadCheckpoints(fork + ".checkpoints")
	if _, err := verifyPath(fork, VerifyOptions{Keys: keys, Checkpoints: ck, Witnesses: []note.Verifier{wv}}); err == nil {
		t.Fatal("the fork verifies with the witness required")
	}
	if !strings.Contains(lw.output(), "listening") {
		t.Log(lw.output())
	}
}

func keyringOf(t *testing.T, k provider.Key) *provider.Keyring {
	r, err := provider.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
