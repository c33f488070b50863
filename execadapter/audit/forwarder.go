package audit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/provider"
)

// Backoff of a forwarder whose peer fails: the first retry after
// forwardBackoffMin, doubling up to forwardBackoffMax.
const (
	forwardBackoffMin = 100 * time.Millisecond
	forwardBackoffMax = 10 * time.Second
)

// forwarder sends the latest checkpoint of a Writer to one peer, a witness
// or a trail, as a C2SP tlog-witness add-checkpoint request, until the peer
// accepts it. Only the latest checkpoint waits (memory stays bounded
// however long the peer is down or slow): the peer checks that it is
// consistent with the last one it accepted, which covers every checkpoint
// in between. A 409 Conflict tells the size the peer knows; the next
// request proves from there. A failed request is counted, logged and sent
// again after a backoff (forwardBackoffMin doubling to forwardBackoffMax).
// What a 200 OK answer means is the peer's: accept handles it.
type forwarder struct {
	w       *Writer
	kind    string // "witness" or "trail", in errors and log lines
	name    string // the peer's name in log lines
	url     string // the add-checkpoint endpoint
	timeout time.Duration
	client  *http.Client
	// accept handles the peer's 200 OK answer to the checkpoint cp, whose
	// signed note is msg. An error is a failed request: the checkpoint is
	// sent again.
	accept   func(cp Checkpoint, msg, answer []byte) error
	failures *atomic.Uint64 // the Writer's counter of this kind's failures

	ctx    context.Context // cancelled when the forwarder stops, with the request in flight
	cancel context.CancelFunc

	mu     sync.Mutex
	latest Checkpoint
	msg    []byte
	size   int64 // tree size the peer last accepted (as far as we know)
	kick   chan struct{}
	stop   chan struct{}
	done   chan struct{}
	idle   *sync.Cond
}

// newForwarder returns a forwarder to the peer at base (requests go to
// base + "/add-checkpoint"), each request bounded by timeout (default 5s),
// over client (default: a client of its own). Its run goroutine is not
// started.
func newForwarder(w *Writer, kind, name, base string, timeout time.Duration, client *http.Client, failures *atomic.Uint64,
	accept func(cp Checkpoint, msg, answer []byte) error) (*forwarder, error) {
	u, err := url.Parse(base)
	if base == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		peer := kind
		if name != base {
			peer += " " + name
		}
		return nil, fmt.Errorf("%w: %s: URL %q: give http://HOST[:PORT][/PATH] or https://…", provider.ErrInvalidConfig, peer, base)
	}
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	if client == nil {
		client = &http.Client{}
	}
	f := &forwarder{w: w, kind: kind, name: name, url: strings.TrimSuffix(base, "/") + "/add-checkpoint", timeout: timeout, client: client,
		accept: accept, failures: failures, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	f.idle = sync.NewCond(&f.mu)
	return f, nil
}

// offer replaces the checkpoint waiting for the peer. It never waits for
// the peer.
func (f *forwarder) offer(cp Checkpoint, msg []byte) {
	f.mu.Lock()
	if cp.N > f.latest.N {
		f.latest, f.msg = cp, msg
	}
	f.mu.Unlock()
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// behind reports whether the peer has not accepted the latest checkpoint.
func (f *forwarder) behind() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.size < f.latest.N
}

// run sends until stopped, retrying with a backoff while the peer fails.
func (f *forwarder) run() {
	defer close(f.done)
	backoff := forwardBackoffMin
	for {
		f.mu.Lock()
		cp, msg, size := f.latest, f.msg, f.size
		f.mu.Unlock()
		if cp.N > size {
			err := f.send(cp, msg, size)
			if err != nil {
				if f.ctx.Err() != nil {
					return // stopped with the request in flight
				}
				f.failures.Add(1)
				f.w.log.Warn("audit log: the "+f.kind+" did not accept the checkpoint; it waits and is sent again", f.kind, f.name, "size", cp.N, "retry_in", backoff, "err", err)
				select {
				case <-f.stop:
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, forwardBackoffMax)
				continue
			}
			backoff = forwardBackoffMin
			continue
		}
		f.mu.Lock()
		f.idle.Broadcast()
		f.mu.Unlock()
		select {
		case <-f.stop:
			return
		case <-f.kick:
		}
	}
}

// close gives the peer up to its timeout to accept the latest checkpoint,
// then stops, cancelling the request in flight.
func (f *forwarder) close() {
	deadline := time.AfterFunc(f.timeout, func() {
		f.mu.Lock()
		f.idle.Broadcast()
		f.mu.Unlock()
	})
	start := time.Now()
	f.mu.Lock()
	for f.size < f.latest.N && time.Since(start) < f.timeout {
		f.idle.Wait()
	}
	f.mu.Unlock()
	deadline.Stop()
	f.cancel()
	close(f.stop)
	<-f.done
}

// closeForwarders closes fs at once, each given up to its own timeout.
func closeForwarders(fs []*forwarder) {
	var wg sync.WaitGroup
	for _, f := range fs {
		wg.Go(f.close)
	}
	wg.Wait()
}

// send posts cp to the peer with a consistency proof from size, the size
// it last accepted. A 409 Conflict tells the size it knows: send learns it
// and returns an error, and the retry proves from there.
func (f *forwarder) send(cp Checkpoint, msg []byte, size int64) error {
	body, err := f.w.addCheckpointBody(cp.N, size, msg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(f.ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return err
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusConflict:
		known, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || known < 0 {
			return fmt.Errorf("409 Conflict with body %q", b)
		}
		if known > cp.N {
			return fmt.Errorf("the %s has accepted a tree of %d records, larger than this log's %d: the log was cut short or forked", f.kind, known, cp.N)
		}
		f.mu.Lock()
		f.size = known
		f.mu.Unlock()
		return fmt.Errorf("the %s knows the log at size %d, not %d; proving again from there", f.kind, known, size)
	default:
		return fmt.Errorf("%s: %q", resp.Status, strings.TrimSpace(string(b)))
	}
	if err := f.accept(cp, msg, b); err != nil {
		return err
	}
	f.mu.Lock()
	f.size = cp.N
	f.mu.Unlock()
	return nil
}

// addCheckpointBody returns the body of a C2SP tlog-witness add-checkpoint
// request for the signed note msg of the tree of n records: "old SIZE",
// the consistency proof from size to n (base64, one hash a line; none when
// size is 0), an empty line and msg.
func (w *Writer) addCheckpointBody(n, size int64, msg []byte) ([]byte, error) {
	body := fmt.Appendf(nil, "old %d\n", size)
	if size > 0 {
		proof, err := tlog.ProveTree(n, size, w.hashReader())
		if err != nil {
			return nil, fmt.Errorf("consistency proof from %d to %d: %w", size, n, err)
		}
		for _, h := range proof {
			body = append(append(body, h.String()...), '\n')
		}
	}
	body = append(body, '\n')
	return append(body, msg...), nil
}

// hashReader reads the tree's stored hashes from the hashes file.
func (w *Writer) hashReader() tlog.HashReader {
	return fileHashReader{w.hf}
}

// fileHashReader reads tlog stored hashes from a hashes file.
type fileHashReader struct{ f *os.File }

func (r fileHashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if _, err := r.f.ReadAt(out[i][:], x*HashSize); err != nil {
			return nil, fmt.Errorf("audit log: hashes file: stored hash %d: %w", x, err)
		}
	}
	return out, nil
}
