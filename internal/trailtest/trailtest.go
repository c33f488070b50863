// Package trailtest serves the trail side of the add-checkpoint protocol
// (docs/execadapter.md, "Trails"), minimally, for the tests of the audit log
// writer that forwards its checkpoints to a trail: it keeps, per origin, the
// size and root hash of the checkpoint it accepted last, answers 409
// Conflict with that size when a request proves from another, checks the
// consistency proof with tlog.CheckTree against the root hash it keeps, and
// answers 200 OK "index I\n" with the entry index of the checkpoint (the
// same index for a re-send). It records every request, and can be scripted
// to fail or to block.
package trailtest

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Trail is an http.Handler of POST /add-checkpoint. The zero value is
// ready; set its fields before it serves.
type Trail struct {
	// Verifiers, if set, check the signature of every checkpoint (403
	// Forbidden without a valid one); nil accepts any signed note.
	Verifiers note.Verifiers
	// Script, if set, is asked first about request n (0-based): when it
	// returns ok, the request is answered with status and body, and the
	// trail's state is not changed.
	Script func(n int) (status int, body string, ok bool)
	// Block, if set, holds every request, after its body has been read,
	// until it is closed (Release).
	Block chan struct{}

	mu        sync.Mutex
	origins   map[string]*origin
	reqs      []Request
	entries   [][]byte
	stuck     atomic.Int64 // requests held by Block
	entered   chan struct{}
	once      sync.Once
	enterOnce sync.Once
	release   sync.Once
}

type origin struct {
	size  int64
	hash  tlog.Hash
	index int64
}

// Request is one request the trail answered.
type Request struct {
	At     time.Time // when its body had been read
	Old    int64     // the size it proves from
	Proof  int       // hashes in its proof
	Size   int64     // the size of its checkpoint
	Note   []byte    // its signed note
	Status int       // the answer's status
}

// Requests returns the requests answered so far, in order.
func (t *Trail) Requests() []Request {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Request(nil), t.reqs...)
}

// Entries returns the trail's entries, the signed notes accepted, in order.
func (t *Trail) Entries() [][]byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([][]byte(nil), t.entries...)
}

// Size returns the size of the checkpoint the trail accepted last for
// origin (0 if none).
func (t *Trail) Size(origin string) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if o := t.origins[origin]; o != nil {
		return o.size
	}
	return 0
}

// Release closes Block, once however often it is called.
func (t *Trail) Release() { t.release.Do(func() { close(t.Block) }) }

// Stuck returns how many requests Block holds now.
func (t *Trail) Stuck() int64 { return t.stuck.Load() }

// Entered returns a channel closed when the first request has reached
// Block.
func (t *Trail) Entered() <-chan struct{} { return t.enteredChan() }

func (t *Trail) enteredChan() chan struct{} {
	t.once.Do(func() { t.entered = make(chan struct{}) })
	return t.entered
}

// ServeHTTP answers POST /add-checkpoint as a trail does.
func (t *Trail) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/add-checkpoint" {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10+1))
	if err != nil || len(body) > 64<<10 {
		http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	at := time.Now()
	if t.Block != nil {
		t.stuck.Add(1)
		t.enterOnce.Do(func() { close(t.enteredChan()) })
		<-t.Block
		t.stuck.Add(-1)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	status, answer := t.add(len(t.reqs), body, at)
	if status == http.StatusConflict {
		w.Header().Set("Content-Type", "text/x.tlog.size")
	} else {
		w.Header().Set("Content-Type", "text/plain")
	}
	w.WriteHeader(status)
	io.WriteString(w, answer)
}

// add answers request n, with t.mu held, and records it.
func (t *Trail) add(n int, body []byte, at time.Time) (int, string) {
	req := Request{At: at, Old: -1, Size: -1}
	status, answer := t.answer(n, body, &req)
	req.Status = status
	t.reqs = append(t.reqs, req)
	return status, answer
}

func (t *Trail) answer(n int, body []byte, req *Request) (int, string) {
	old, proof, msg, err := parseBody(body)
	if err != nil {
		return http.StatusBadRequest, err.Error() + "\n"
	}
	req.Old, req.Proof, req.Note = old, len(proof), msg
	text := msg
	if t.Verifiers != nil {
		nt, err := note.Open(msg, t.Verifiers)
		if err != nil {
			return http.StatusForbidden, err.Error() + "\n"
		}
		text = []byte(nt.Text)
	}
	name, size, hash, err := parseCheckpoint(text)
	if err != nil {
		return http.StatusBadRequest, err.Error() + "\n"
	}
	req.Size = size
	if t.Script != nil {
		if status, answer, ok := t.Script(n); ok {
			return status, answer
		}
	}
	if t.origins == nil {
		t.origins = map[string]*origin{}
	}
	o := t.origins[name]
	if o == nil {
		o = &origin{index: -1}
		t.origins[name] = o
	}
	if old != o.size {
		return http.StatusConflict, fmt.Sprintf("%d\n", o.size)
	}
	switch {
	case size < o.size:
		return http.StatusUnprocessableEntity, "the tree shrinks\n"
	case size == o.size && hash == o.hash && o.index >= 0:
		return http.StatusOK, fmt.Sprintf("index %d\n", o.index) // a re-send
	case old > 0:
		if err := tlog.CheckTree(proof, size, hash, old, o.hash); err != nil {
			return http.StatusUnprocessableEntity, err.Error() + "\n"
		}
	}
	o.size, o.hash, o.index = size, hash, int64(len(t.entries))
	t.entries = append(t.entries, msg)
	return http.StatusOK, fmt.Sprintf("index %d\n", o.index)
}

// parseBody parses a C2SP tlog-witness add-checkpoint body.
func parseBody(body []byte) (old int64, proof tlog.TreeProof, msg []byte, err error) {
	head, msg, ok := bytes.Cut(body, []byte("\n\n"))
	if !ok {
		return 0, nil, nil, fmt.Errorf("add-checkpoint body without an empty line")
	}
	sc := bufio.NewScanner(bytes.NewReader(head))
	if !sc.Scan() {
		return 0, nil, nil, fmt.Errorf("add-checkpoint body without an old line")
	}
	s, ok := strings.CutPrefix(sc.Text(), "old ")
	if old, err = strconv.ParseInt(s, 10, 64); !ok || err != nil || old < 0 {
		return 0, nil, nil, fmt.Errorf("add-checkpoint old line %q", sc.Text())
	}
	for sc.Scan() {
		h, err := tlog.ParseHash(sc.Text())
		if err != nil || len(proof) == 63 {
			return 0, nil, nil, fmt.Errorf("add-checkpoint proof line %q", sc.Text())
		}
		proof = append(proof, h)
	}
	return old, proof, msg, nil
}

// parseCheckpoint reads the origin, size and root hash of a checkpoint's
// note text (its first three lines).
func parseCheckpoint(text []byte) (name string, size int64, hash tlog.Hash, err error) {
	lines := strings.SplitN(string(text), "\n", 4)
	if len(lines) < 4 {
		return "", 0, hash, fmt.Errorf("checkpoint of %d lines", len(lines))
	}
	if size, err = strconv.ParseInt(lines[1], 10, 64); err != nil || size < 0 {
		return "", 0, hash, fmt.Errorf("checkpoint size %q", lines[1])
	}
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != len(hash) {
		return "", 0, hash, fmt.Errorf("checkpoint root hash %q", lines[2])
	}
	copy(hash[:], h)
	return lines[0], size, hash, nil
}
