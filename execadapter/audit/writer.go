package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tinywindow/tinywindow/provider"
)

// Durability says when an appended record is on stable storage.
type Durability int

const (
	// Always writes and fsyncs every record before Append returns (records
	// appended at once by several goroutines share one fsync). Loss window:
	// none for records whose Append returned nil.
	Always Durability = iota + 1
	// Batch appends to memory and lets a background goroutine write and
	// fsync everything pending every BatchInterval (group commit). Loss
	// window: records whose Append returned within the last BatchInterval
	// plus the time of one write and fsync, if the process or machine dies.
	Batch
)

func (d Durability) String() string {
	switch d {
	case Always:
		return "always"
	case Batch:
		return "batch"
	}
	return fmt.Sprintf("durability(%d)", int(d))
}

// ParseDurability parses "always" or "batch".
func ParseDurability(s string) (Durability, error) {
	switch s {
	case "always":
		return Always, nil
	case "batch":
		return Batch, nil
	}
	return 0, fmt.Errorf("%w: durability %q; use always or batch", provider.ErrInvalidConfig, s)
}

// File is what a Writer needs of its file; *os.File is one. Tests put a
// failing file behind it to play a full disk.
type File interface {
	io.Reader
	io.Writer
	io.Seeker
	Sync() error
	Truncate(size int64) error
	Close() error
}

// Options configure a Writer.
type Options struct {
	// Signer signs checkpoints. Required.
	Signer provider.Signer
	// Durability is Always or Batch (the default).
	Durability Durability
	// BatchInterval is the group-commit period of Batch (default 2ms).
	BatchInterval time.Duration
	// BatchBytes bounds the records Batch holds in memory (default 1 MiB):
	// an Append that finds more pending writes and syncs them itself, so
	// memory stays bounded when the disk is slower than the orders.
	BatchBytes int
	// CheckpointEvery is the largest number of records between two
	// checkpoints (default 65536); CheckpointInterval the longest time
	// (default 1s). Close always writes a last checkpoint.
	CheckpointEvery    int
	CheckpointInterval time.Duration
	// OpenFile opens the log file for reading and writing, creating it if
	// needed. The default uses os.OpenFile with mode 0600.
	OpenFile func(path string) (File, error)
}

// ErrNotDurable is matched by the error of an Append (or Sync) whose record
// was not written to stable storage. Once a write or fsync has failed, every
// later call fails with it too: the file's tail is unknown until the log is
// reopened (which truncates a torn tail).
var ErrNotDurable = errors.New("audit record is not durable")

// ErrClosed is returned by calls on a closed Writer.
var ErrClosed = errors.New("audit log is closed")

// Recovery says what Open found.
type Recovery struct {
	Records        uint64 // intact records found
	TruncatedBytes int64  // bytes of torn tail removed (0 when none)
	TruncatedAt    int64  // offset the file was truncated to
}

// Writer appends hash-chained records to a log file. It is safe for
// concurrent use.
type Writer struct {
	opts Options
	f    File
	path string

	mu      sync.Mutex
	buf     []byte // records not yet handed to the file
	spare   []byte
	h       hash.Hash
	prev    [HashSize]byte
	seq     uint64
	lastCP  uint64 // seq of the last checkpoint
	cpTime  time.Time
	closed  bool
	msg     []byte
	cpBuf   []byte
	err     error // sticky write error
	appends atomic.Uint64

	flushMu sync.Mutex    // serialises writes to the file
	durable atomic.Uint64 // highest seq on stable storage

	stop chan struct{}
	done chan struct{}
}

// Open opens (or creates) the log at path for appending. It reads the log
// through: a tail cut short by a crash is truncated and a recovery record
// says so; a record that breaks the chain before the end is an error
// matching ErrCorrupt, and the log is left as it is for `audit verify` to
// examine.
func Open(path string, opts Options) (*Writer, Recovery, error) {
	if opts.Signer == nil {
		return nil, Recovery{}, fmt.Errorf("%w: audit log needs a signer for its checkpoints", provider.ErrInvalidConfig)
	}
	if opts.Durability == 0 {
		opts.Durability = Batch
	}
	if opts.Durability != Always && opts.Durability != Batch {
		return nil, Recovery{}, fmt.Errorf("%w: audit durability %d; use Always or Batch", provider.ErrInvalidConfig, opts.Durability)
	}
	if opts.BatchInterval <= 0 {
		opts.BatchInterval = 2 * time.Millisecond
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = 1 << 20
	}
	if opts.CheckpointEvery <= 0 {
		opts.CheckpointEvery = 1 << 16
	}
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = time.Second
	}
	if opts.OpenFile == nil {
		opts.OpenFile = func(p string) (File, error) { return os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600) }
	}
	f, err := opts.OpenFile(path)
	if err != nil {
		return nil, Recovery{}, fmt.Errorf("audit log: opening %s: %w", path, err)
	}
	w := &Writer{opts: opts, f: f, path: path, h: sha256.New(), prev: genesis, cpTime: time.Now(),
		buf: make([]byte, 0, 1<<16), spare: make([]byte, 0, 1<<16)}
	rec, err := w.recover()
	if err != nil {
		f.Close()
		return nil, rec, err
	}
	now := time.Now().UnixNano()
	if rec.TruncatedBytes > 0 {
		var p [16]byte
		binary.BigEndian.PutUint64(p[:], uint64(rec.TruncatedAt))
		binary.BigEndian.PutUint64(p[8:], uint64(rec.TruncatedBytes))
		w.appendLocked(TypeRecovery, now, p[:])
	}
	w.appendLocked(TypeOpen, now, []byte(opts.Durability.String()))
	err = w.checkpointLocked()
	if err == nil {
		err = w.Sync()
	}
	if err != nil {
		f.Close()
		return nil, rec, err
	}
	if opts.Durability == Batch {
		w.stop, w.done = make(chan struct{}), make(chan struct{})
		go w.flusher()
	}
	return w, rec, nil
}

// recover reads the file, sets the chain state and truncates a torn tail.
func (w *Writer) recover() (Recovery, error) {
	var rec Recovery
	if _, err := w.f.Seek(0, io.SeekStart); err != nil {
		return rec, fmt.Errorf("audit log %s: %w", w.path, err)
	}
	s, err := newScanner(w.f)
	if errors.Is(err, io.EOF) { // new file
		if _, err := w.f.Write([]byte(Magic)); err != nil {
			return rec, fmt.Errorf("%w: audit log %s: writing header: %w", ErrNotDurable, w.path, err)
		}
		return rec, nil
	}
	if err != nil {
		return rec, fmt.Errorf("audit log %s: %w", w.path, err)
	}
	for {
		_, err := s.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, errTorn) {
			end, serr := w.f.Seek(0, io.SeekEnd)
			if serr != nil {
				return rec, fmt.Errorf("audit log %s: %w", w.path, serr)
			}
			rec.TruncatedAt, rec.TruncatedBytes = s.off, end-s.off
			if err := w.f.Truncate(s.off); err != nil {
				return rec, fmt.Errorf("audit log %s: truncating torn tail at byte %d: %w", w.path, s.off, err)
			}
			if err := w.f.Sync(); err != nil {
				return rec, fmt.Errorf("%w: audit log %s: %w", ErrNotDurable, w.path, err)
			}
			break
		}
		if err != nil {
			return rec, fmt.Errorf("audit log %s: %w (run tinywindow audit verify to examine it; the writer leaves it untouched)", w.path, err)
		}
	}
	rec.Records = s.seq
	w.seq, w.prev, w.lastCP = s.seq, s.prev, s.seq
	if _, err := w.f.Seek(s.off, io.SeekStart); err != nil {
		return rec, fmt.Errorf("audit log %s: %w", w.path, err)
	}
	return rec, nil
}

// Append adds a record whose payload is the concatenation of parts. With
// Always durability it returns once the record is on stable storage; with
// Batch, once it is in memory. It does not allocate once the buffers are
// warm. An error matches ErrNotDurable or ErrClosed.
func (w *Writer) Append(typ Type, now int64, parts ...[]byte) error {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n > MaxPayload {
		return fmt.Errorf("audit log: payload of %d bytes is over the %d-byte limit", n, MaxPayload)
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return err
	}
	seq := w.appendLocked(typ, now, parts...)
	full := len(w.buf) >= w.opts.BatchBytes
	w.mu.Unlock()
	if w.opts.Durability == Always || full {
		return w.commit(seq)
	}
	return nil
}

func (w *Writer) appendLocked(typ Type, now int64, parts ...[]byte) uint64 {
	w.seq++
	start := len(w.buf)
	l := headSize
	for _, p := range parts {
		l += len(p)
	}
	w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(l))
	w.buf = append(w.buf, byte(typ))
	w.buf = binary.BigEndian.AppendUint64(w.buf, w.seq)
	w.buf = binary.BigEndian.AppendUint64(w.buf, uint64(now))
	for _, p := range parts {
		w.buf = append(w.buf, p...)
	}
	w.h.Reset()
	w.h.Write(w.prev[:])
	w.h.Write(w.buf[start:])
	w.h.Sum(w.prev[:0])
	w.buf = append(w.buf, w.prev[:]...)
	w.appends.Add(1)
	return w.seq
}

// checkpointLocked appends a checkpoint if records were added since the
// last one.
func (w *Writer) checkpointLocked() error {
	if w.seq == w.lastCP {
		return nil
	}
	cpSeq := w.seq + 1
	w.msg = checkpointMessage(w.msg[:0], cpSeq, &w.prev)
	sig, err := provider.SignAppend(context.Background(), w.opts.Signer, w.cpBuf[:0], w.msg)
	if err != nil {
		return fmt.Errorf("%w: audit checkpoint: signing: %w", ErrNotDurable, err)
	}
	w.cpBuf = sig
	info := w.opts.Signer.Info()
	payload := appendCheckpoint(w.msg[:0], info.ID, string(info.Algorithm), sig)
	w.msg = payload
	w.appendLocked(TypeCheckpoint, time.Now().UnixNano(), payload)
	w.lastCP = w.seq
	w.cpTime = time.Now()
	return nil
}

// commit returns once record seq is on stable storage, writing and syncing
// whatever is pending if nobody else has.
func (w *Writer) commit(seq uint64) error {
	if w.durable.Load() >= seq {
		return nil
	}
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	if w.durable.Load() >= seq {
		return nil
	}
	return w.flushLocked(false)
}

// flushLocked writes and syncs everything pending; flushMu is held. It adds
// a checkpoint first when one is due (or always, if force).
func (w *Writer) flushLocked(force bool) error {
	w.mu.Lock()
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return err
	}
	if w.seq != w.lastCP && (force || w.seq-w.lastCP >= uint64(w.opts.CheckpointEvery) || time.Since(w.cpTime) >= w.opts.CheckpointInterval) {
		if err := w.checkpointLocked(); err != nil {
			w.err = err
			w.mu.Unlock()
			return err
		}
	}
	if len(w.buf) == 0 {
		w.mu.Unlock()
		return nil
	}
	out := w.buf
	w.buf = w.spare[:0]
	upto := w.seq
	w.mu.Unlock()

	_, err := w.f.Write(out)
	if err == nil {
		err = w.f.Sync()
	}
	w.mu.Lock()
	w.spare = out[:0]
	if err != nil {
		w.err = fmt.Errorf("%w: audit log %s: %w", ErrNotDurable, w.path, err)
		err = w.err
	}
	w.mu.Unlock()
	if err == nil {
		w.durable.Store(upto)
	}
	return err
}

// Sync writes and fsyncs every record appended so far, with a checkpoint if
// one is due.
func (w *Writer) Sync() error {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	return w.flushLocked(false)
}

// Durable returns the sequence number of the last record on stable storage.
func (w *Writer) Durable() uint64 { return w.durable.Load() }

// Seq returns the sequence number of the last record appended.
func (w *Writer) Seq() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seq
}

// Err returns the sticky write error, if a write or fsync has failed.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// flusher group-commits in Batch durability. It runs on a thread of its own
// at the lowest scheduling priority: its write and fsync then yield the CPU
// to the goroutines that sign and send orders, which on a small machine
// cuts the adapter's p99 latency by about two thirds. The thread ends with
// the goroutine.
func (w *Writer) flusher() {
	defer close(w.done)
	runtime.LockOSThread() // never unlocked: the lowered thread exits with us
	lowerThreadPriority()
	t := time.NewTicker(w.opts.BatchInterval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.flushMu.Lock()
			_ = w.flushLocked(false) // the error is sticky: Append reports it
			w.flushMu.Unlock()
		}
	}
}

// Close writes a last checkpoint, syncs and closes the file. It is
// idempotent; it returns the first write error, if any.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	if w.stop != nil {
		close(w.stop)
		<-w.done
	}
	w.flushMu.Lock()
	err := w.flushLocked(true)
	w.flushMu.Unlock()
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("audit log %s: %w", w.path, cerr)
	}
	return err
}
