package trail

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/trail/internal/s3test"
)

// serveChildEnv holds, in a child process of [startTrailProcess], the
// JSON of its serveChild.
const serveChildEnv = "TW_TRAIL_TEST_SERVE"

// serveChild is what a child trail process serves: a storage spec, the
// trail's key and the registered logs (origin → key URI).
type serveChild struct {
	Spec string
	Key  string
	Logs map[string]string
}

// runServeChild serves a trail, if this process is a child of
// startTrailProcess, printing its URL, until it is killed or its stdin
// ends; it reports whether it was one.
func runServeChild(t *testing.T) bool {
	raw := os.Getenv(serveChildEnv)
	if raw == "" {
		return false
	}
	var c serveChild
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := OpenStorage(ctx, c.Spec)
	if err != nil {
		t.Fatal(err)
	}
	open := func(uri string) provider.Key {
		k, err := provider.Open(ctx, uri)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	cfg := Config{Storage: st, Signer: open(c.Key), Origin: trailOrigin, CheckpointInterval: st.MinCheckpointInterval}
	for origin, uri := range c.Logs {
		cfg.Logs = append(cfg.Logs, LogKey{Origin: origin, Keys: []provider.Verifier{open(uri)}})
	}
	srv, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("serving http://%s\n", l.Addr())
	go http.Serve(l, srv.Handler())
	io.Copy(io.Discard, os.Stdin)
	srv.Close(ctx)
	st.Close()
	return true
}

// trailProcess is a trail served by a child process.
type trailProcess struct {
	cmd *exec.Cmd
	url string
}

// startTrailProcess runs this test binary again as a trail serving c.
func startTrailProcess(t *testing.T, c serveChild, env ...string) *trailProcess {
	t.Helper()
	raw, _ := json.Marshal(c)
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), serveChildEnv+"="+string(raw)), env...)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	u, ok := strings.CutPrefix(strings.TrimSpace(line), "serving ")
	if err != nil || !ok {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the trail process printed %q (%v); stderr:\n%s", line, err, stderr.String())
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	return &trailProcess{cmd: cmd, url: u}
}

// sendCheckpoint sends msg, the latest checkpoint of l, to the trail at u
// until it is accepted, proving from the size the trail answers in a 409,
// and returns its index. It returns an error if the trail cannot be
// reached.
func sendCheckpoint(l *adapterLog, u string, msg []byte, old *int64) (uint64, error) {
	for range 8 {
		var proof []tlog.Hash
		if *old > 0 {
			proof = l.proof(*old)
		}
		resp, err := http.Post(u+"/add-checkpoint", "text/plain", bytes.NewReader(body(*old, proof, msg)))
		if err != nil {
			return 0, err
		}
		out, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return 0, err
		}
		switch resp.StatusCode {
		case http.StatusOK:
			return strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(string(out), "index "), "\n"), 10, 64)
		case http.StatusConflict:
			n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("409 with %q", out)
			}
			*old = n
		default:
			return 0, fmt.Errorf("add-checkpoint: %s %q", resp.Status, out)
		}
	}
	return 0, errors.New("add-checkpoint: still in conflict after 8 tries")
}

// TestAWSTwoTrailsAndSIGKILL runs two trail processes on one database and
// one bucket (Tessera's AWS driver on MariaDB and versitygw), and adapters
// sending their checkpoints to both in turn, under CPU oversubscription;
// one trail is killed with SIGKILL mid-load, and a checkpoint whose request
// to it fails goes to the other. Every checkpoint a trail answered with an index is then that
// entry of the surviving trail's published tree (checked with x/mod's
// tlog from its tiles), and each origin's last accepted checkpoint is the
// last one its adapter sent.
func TestAWSTwoTrailsAndSIGKILL(t *testing.T) {
	if runServeChild(t) {
		return
	}
	endpoint := s3test.Endpoint(t)
	dsn := testDatabase(t)
	bucket := s3test.Bucket(t, s3test.Client(t, endpoint))
	dir := t.TempDir()
	c := serveChild{
		Spec: fmt.Sprintf("aws:bucket=%s;endpoint=%s;region=%s?dsn-source=env:TW_TEST_TRAIL_DSN", bucket, endpoint, s3test.Region),
		Key:  "pem:key-source=file:" + testenv.Ed25519KeyFile(t, dir, "trail.pem"),
		Logs: map[string]string{},
	}
	const adapters, rounds, killAt = 4, 12, 5
	logs := make([]*adapterLog, adapters)
	for i := range logs {
		keyFile := testenv.Ed25519KeyFile(t, dir, fmt.Sprintf("a%d.pem", i))
		origin := fmt.Sprintf("adapter.test/%d", i)
		c.Logs[origin] = "pem:key-source=file:" + keyFile
		k, err := provider.Open(context.Background(), "pem:key-source=file:"+keyFile)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.Close() })
		logs[i] = newAdapterLog(t, origin, k)
	}
	env := "TW_TEST_TRAIL_DSN=" + dsn.FormatDSN()
	a := startTrailProcess(t, c, env)
	b := startTrailProcess(t, c, env)

	var stop atomic.Bool
	var spin sync.WaitGroup
	for range runtime.NumCPU() {
		spin.Go(func() {
			for !stop.Load() {
			}
		})
	}
	defer func() { stop.Store(true); spin.Wait() }()

	var (
		mu       sync.Mutex
		accepted = map[uint64][]byte{} // index → checkpoint, as answered
		last     = make([][]byte, adapters)
		count    atomic.Int64
		killed   atomic.Bool
	)
	var wg sync.WaitGroup
	for i, l := range logs {
		wg.Go(func() {
			var old int64
			for r := range rounds {
				msg := l.checkpoint(3, "r"+strconv.Itoa(r))
				u := []string{a.url, b.url}[(i+r)%2]
				idx, err := sendCheckpoint(l, u, msg, &old)
				if err != nil && u == a.url && killed.Load() {
					// Killed with this request in flight, or before it:
					// its outcome is unknown, so it goes to the other.
					u = b.url
					idx, err = sendCheckpoint(l, u, msg, &old)
				}
				if err != nil {
					t.Errorf("adapter %d, round %d, to %s: %v", i, r, u, err)
					return
				}
				old = tree(t, msg).N
				mu.Lock()
				accepted[idx] = msg
				last[i] = msg
				mu.Unlock()
				if count.Add(1) == killAt*adapters {
					// Mid-load: the other adapters' requests are in flight.
					killed.Store(true)
					a.cmd.Process.Signal(syscall.SIGKILL)
				}
			}
		})
	}
	wg.Wait()
	if !killed.Load() {
		t.Fatal("the first trail was never killed")
	}
	if t.Failed() {
		return
	}

	var maxIndex uint64
	for i := range accepted {
		maxIndex = max(maxIndex, i)
	}
	tree := publishedAt(t, b.url, trailVerifierKey(t, c.Key), int64(maxIndex)+1)
	if err := checkWithTlog(httpTiles{t: t, url: b.url}, tree, accepted); err != nil {
		t.Fatalf("after the SIGKILL, the surviving trail's tiles: %v", err)
	}
	for i, l := range logs {
		resp, err := http.Get(b.url + "/origin/" + l.origin)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		acc, err := ParseAccepted(out)
		if err != nil || !bytes.Equal(acc.Note, last[i]) {
			t.Errorf("origin %s: the trail's last accepted checkpoint is not the last one sent (%v)", l.origin, err)
		}
	}
	t.Logf("%d checkpoints accepted by two trails, one killed after %d; the survivor's tree has %d entries", len(accepted), killAt*adapters, tree.N)
}

// trailVerifierKey returns the trail's C2SP verifier key for trailOrigin.
func trailVerifierKey(t *testing.T, uri string) string {
	t.Helper()
	k, err := provider.Open(context.Background(), uri)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	v, err := audit.CheckpointVerifierKey(trailOrigin, k)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
