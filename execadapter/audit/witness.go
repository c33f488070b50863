package audit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/provider"
)

// Witness is a C2SP tlog-witness the writer sends its checkpoints to.
type Witness struct {
	// URL is the witness's base URL; requests go to URL + "/add-checkpoint".
	URL string
	// Key is the witness's verifier key (name+hash+base64 of 0x04 and its
	// Ed25519 public key); cosignatures that do not verify are not kept.
	Key string
	// Timeout bounds one request (default 5s).
	Timeout time.Duration
	// Client is the HTTP client (default: a client of its own).
	Client *http.Client
}

// witnessClient sends the latest checkpoint to one witness until it has
// cosigned it. Only the latest checkpoint waits: the witness checks that
// it is consistent with the last one it cosigned, which covers every
// checkpoint in between.
type witnessClient struct {
	w    *Writer
	opts Witness
	v    note.Verifier

	mu     sync.Mutex
	latest Checkpoint
	msg    []byte
	size   int64 // tree size the witness last cosigned (as far as we know)
	kick   chan struct{}
	stop   chan struct{}
	done   chan struct{}
	idle   *sync.Cond
}

func newWitnessClient(w *Writer, o Witness) (*witnessClient, error) {
	v, err := ParseWitnessKey(o.Key)
	if err != nil {
		return nil, err
	}
	if o.URL == "" {
		return nil, fmt.Errorf("%w: witness %s has no URL", provider.ErrInvalidConfig, v.Name())
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	c := &witnessClient{w: w, opts: o, v: v, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	c.idle = sync.NewCond(&c.mu)
	return c, nil
}

// offer replaces the checkpoint waiting for the witness.
func (c *witnessClient) offer(cp Checkpoint, msg []byte) {
	c.mu.Lock()
	if cp.N > c.latest.N {
		c.latest, c.msg = cp, msg
	}
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *witnessClient) behind() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size < c.latest.N
}

// run sends until stopped, retrying with a backoff (100ms doubling to 10s)
// while the witness fails.
func (c *witnessClient) run() {
	defer close(c.done)
	backoff := 100 * time.Millisecond
	for {
		c.mu.Lock()
		cp, msg, size := c.latest, c.msg, c.size
		c.mu.Unlock()
		if cp.N > size {
			err := c.send(cp, msg, size)
			if err != nil {
				c.w.wFailures.Add(1)
				c.w.log.Warn("audit log: witness did not cosign; the checkpoint waits and is sent again", "witness", c.v.Name(), "size", cp.N, "retry_in", backoff, "err", err)
				select {
				case <-c.stop:
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, 10*time.Second)
				continue
			}
			backoff = 100 * time.Millisecond
			continue
		}
		c.mu.Lock()
		c.idle.Broadcast()
		c.mu.Unlock()
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
	}
}

// close gives the witness up to its timeout to cosign the latest
// checkpoint, then stops.
func (c *witnessClient) close() {
	deadline := time.AfterFunc(c.opts.Timeout, func() {
		c.mu.Lock()
		c.idle.Broadcast()
		c.mu.Unlock()
	})
	start := time.Now()
	c.mu.Lock()
	for c.size < c.latest.N && time.Since(start) < c.opts.Timeout {
		c.idle.Wait()
	}
	c.mu.Unlock()
	deadline.Stop()
	close(c.stop)
	<-c.done
}

// send posts cp to the witness with a consistency proof from size, the
// size it last cosigned. A 409 Conflict tells the size it knows: send
// learns it and returns an error, and the retry proves from there.
func (c *witnessClient) send(cp Checkpoint, msg []byte, size int64) error {
	var body bytes.Buffer
	fmt.Fprintf(&body, "old %d\n", size)
	if size > 0 {
		proof, err := tlog.ProveTree(cp.N, size, c.w.hashReader())
		if err != nil {
			return fmt.Errorf("consistency proof from %d to %d: %w", size, cp.N, err)
		}
		for _, h := range proof {
			body.WriteString(h.String() + "\n")
		}
	}
	body.WriteString("\n")
	body.Write(msg)
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.opts.URL, "/")+"/add-checkpoint", &body)
	if err != nil {
		return err
	}
	resp, err := c.opts.Client.Do(req)
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
			return fmt.Errorf("the witness has cosigned a tree of %d records, larger than this log's %d: the log was cut short or forked", known, cp.N)
		}
		c.mu.Lock()
		c.size = known
		c.mu.Unlock()
		return fmt.Errorf("the witness knows the log at size %d, not %d; proving again from there", known, size)
	default:
		return fmt.Errorf("%s: %q", resp.Status, strings.TrimSpace(string(b)))
	}
	full := append(append([]byte(nil), msg...), b...)
	n, err := note.Open(full, note.VerifierList(c.w.key, c.v))
	if err != nil || !cosignedBy(n, c.v) {
		return fmt.Errorf("the witness's answer holds no valid cosignature (%v)", err)
	}
	c.w.appendCheckpointsFile(full)
	c.w.cosigs.Add(1)
	c.mu.Lock()
	c.size = cp.N
	c.mu.Unlock()
	return nil
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
