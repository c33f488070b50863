package audit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/internal/recordfile"
	"github.com/tinywindow/tinywindow/provider"
)

// ErrNotDurable is matched by the error of an Append (or Sync) whose record
// was not written to stable storage. Once a write or fsync has failed, every
// later call fails with it too: the file's tail is unknown until the log is
// reopened (which truncates a torn tail).
var ErrNotDurable = errors.New("audit record is not durable")

// ErrClosed is returned by calls on a closed Writer.
var ErrClosed = errors.New("audit log is closed")

// Stats counts a Writer's checkpoints and its witness and trail traffic.
type Stats struct {
	Checkpoints        uint64 // checkpoints signed and appended
	CheckpointFailures uint64 // checkpoint signatures that failed or timed out
	WitnessFailures    uint64 // witness requests that failed
	Cosignatures       uint64 // cosignatures received and kept
	WitnessBehind      int    // witnesses that have not cosigned the latest checkpoint
	TrailFailures      uint64 // trail requests that failed (a 409 Conflict that teaches the trail's size is one)
	TrailAccepted      uint64 // checkpoints a trail accepted (200 OK "index I")
	TrailBehind        int    // trails that have not accepted the latest checkpoint
	// TrailIndex is the entry index, in its trail, of the checkpoint a
	// trail accepted last; -1 before any.
	TrailIndex int64
	// BackPressure counts the Appends (Batch durability) that found
	// BatchBytes pending because the flusher was behind, and hashed and
	// wrote the pending records on the caller's goroutine;
	// BackPressureBytes the bytes they wrote. Nothing is dropped.
	BackPressure      uint64
	BackPressureBytes uint64
}

// Writer appends records to a log file and keeps its Merkle tree. It is
// safe for concurrent use.
type Writer struct {
	opts Options
	f    File
	path string
	key  *noteKey
	log  *slog.Logger
	lock *recordfile.Lock // held from Open to Close

	mu     sync.Mutex
	buf    []byte // records not yet handed to the file
	spare  []byte
	seq    uint64
	closed bool
	err    error // sticky write error
	// The fields above are Append's; the pad keeps the flusher's, below,
	// off their cache lines.
	_ [64]byte

	flushMu sync.Mutex // serialises writes to the file and the tree
	tree    tree
	fh      hash.Hash
	off     int64  // file offset of the next record
	written uint64 // highest seq written to the file (durable once synced)
	hbuf    []byte // stored hashes not yet written to the hashes file
	ibuf    []byte // record offsets not yet written to the index file
	store   func(tlog.Hash)
	hf, xf  *os.File // hashes and index files
	durable atomic.Uint64
	outLen  int // bytes the last flushLocked handed to the file

	cpMu    sync.Mutex
	cpBusy  bool
	lastCP  int64 // tree size of the last checkpoint
	cpTime  time.Time
	started bool
	cpWG    sync.WaitGroup
	cpReq   chan Checkpoint // to the signing goroutine
	noteBuf []byte          // the signed note being made
	sigBuf  []byte
	ckBuf   []byte
	ckMu    sync.Mutex
	ck      *os.File // checkpoints file

	checkpoints, cpFailures atomic.Uint64
	wFailures, cosigs       atomic.Uint64
	tFailures, tAccepted    atomic.Uint64
	tIndex                  atomic.Int64
	backPressure, bpBytes   atomic.Uint64

	fwdMu     sync.Mutex
	witnesses []*forwarder
	trails    []*forwarder
	fwdClosed bool       // Close has stopped the forwarders
	lastCkpt  Checkpoint // the latest checkpoint, for a trail added later
	lastNote  []byte     // its signed note

	stop chan struct{}
	done chan struct{}
}

// Open opens (or creates) the log at path for appending. It locks the log
// against a second writer, in this process or another, with the lock file
// path+".lock": a second Open fails at once with an error naming the
// holder's process. It refuses a log, checkpoints file or directory of
// either that group or others can write (the error says chmod), and fsyncs
// the directory after creating any file. It reads the log through and
// rebuilds its Merkle tree. A last record cut short by the end of the file,
// with nothing valid after it and not covered by a checkpoint in the
// checkpoints file, is a torn tail: it is truncated and a recovery record
// says how many records and bytes were cut. Anything else that is malformed,
// a log shorter than a checkpoint in the checkpoints file or different from
// it, is an error matching ErrCorrupt, and the file is left byte for byte as
// it was, for `audit verify` to examine.
func Open(path string, opts Options) (*Writer, Recovery, error) {
	opts, err := opts.withDefaults(path)
	if err != nil {
		return nil, Recovery{}, err
	}
	for _, dir := range []string{filepath.Dir(path), filepath.Dir(opts.CheckpointsPath)} {
		if err := recordfile.CheckPath(dir); err != nil {
			return nil, Recovery{}, fmt.Errorf("audit log %s: %w", path, err)
		}
	}
	lock, err := recordfile.Acquire(path + ".lock")
	if err != nil {
		return nil, Recovery{}, fmt.Errorf("audit log %s: %w", path, err)
	}
	anchor, err := latestCheckpoint(opts.CheckpointsPath)
	if err != nil {
		lock.Release()
		return nil, Recovery{}, err
	}
	f, err := opts.OpenFile(path)
	if err != nil {
		lock.Release()
		return nil, Recovery{}, fmt.Errorf("audit log %s: %w", path, err)
	}
	bufSize := 1 << 16
	if opts.Durability == Batch {
		// Room for the back-pressure bound and the record that crosses it:
		// Append copies into a buffer that never grows.
		bufSize += 2 * opts.BatchBytes
	}
	// Both buffers are mapped now, so that Append never grows one (a record
	// over 64 KiB still may) nor takes a page fault in it.
	w := &Writer{opts: opts, f: f, path: path, log: opts.Logger, lock: lock, fh: sha256.New(), cpTime: time.Now(),
		buf: prefaulted(bufSize), spare: prefaulted(bufSize)}
	w.store = func(h tlog.Hash) { w.hbuf = append(w.hbuf, h[:]...) }
	fail := func(err error) (*Writer, Recovery, error) {
		f.Close()
		w.closeSidecars()
		lock.Release()
		return nil, Recovery{}, err
	}
	rec, origin, err := w.recover(anchor)
	if err == nil {
		err = w.installSidecars()
	}
	if err != nil {
		f.Close()
		w.dropSidecars()
		lock.Release()
		return nil, Recovery{}, err
	}
	switch {
	case opts.Origin != "" && origin != "" && opts.Origin != origin:
		return fail(fmt.Errorf("%w: audit log %s has origin %q, not %q", provider.ErrInvalidConfig, path, origin, opts.Origin))
	case origin == "" && opts.Origin != "":
		origin = opts.Origin
	case origin == "":
		var r [8]byte
		rand.Read(r[:])
		origin = "tinywindow.dev/audit/" + hex.EncodeToString(r[:])
	}
	if w.key, err = newNoteKey(context.Background(), origin, opts.Signer.Info(), opts.Signer); err != nil {
		return fail(err)
	}
	if w.ck, err = recordfile.OpenFile(opts.CheckpointsPath, os.O_RDWR|os.O_APPEND); err != nil {
		return fail(fmt.Errorf("audit log %s: checkpoints file: %w", path, err))
	}
	if err := w.trimCheckpointsFile(); err != nil {
		w.ck.Close()
		return fail(err)
	}
	w.lastCP = anchor.N
	now := time.Now().UnixNano()
	if rec.TruncatedBytes > 0 {
		var p [24]byte
		binary.BigEndian.PutUint64(p[:], uint64(rec.TruncatedAt))
		binary.BigEndian.PutUint64(p[8:], uint64(rec.TruncatedBytes))
		binary.BigEndian.PutUint64(p[16:], rec.TruncatedRecords)
		w.appendLocked(TypeRecovery, now, p[:])
	}
	w.appendLocked(TypeOpen, now, []byte(opts.Durability.String()))
	if err := w.checkpointNow(); err != nil {
		w.ck.Close()
		return fail(err)
	}
	w.tIndex.Store(-1)
	for _, wo := range opts.Witnesses {
		f, err := newWitnessForwarder(w, wo)
		if err != nil {
			w.ck.Close()
			return fail(err)
		}
		w.witnesses = append(w.witnesses, f)
	}
	for _, to := range opts.Trails {
		f, err := newTrailForwarder(w, to)
		if err != nil {
			w.ck.Close()
			return fail(err)
		}
		w.trails = append(w.trails, f)
	}
	for _, f := range append(w.witnesses[:len(w.witnesses):len(w.witnesses)], w.trails...) {
		f.offer(w.lastCkpt, w.ownLastNote())
		go f.run()
	}
	w.cpReq = make(chan Checkpoint, 1)
	go w.signer()
	w.cpMu.Lock()
	w.started = true
	w.cpMu.Unlock()
	if opts.Durability == Batch {
		w.stop, w.done = make(chan struct{}), make(chan struct{})
		go w.flusher()
	}
	return w, rec, nil
}

// Durable returns the sequence number of the last record on stable storage.
func (w *Writer) Durable() uint64 { return w.durable.Load() }

// Seq returns the sequence number of the last record appended.
func (w *Writer) Seq() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seq
}

// Origin returns the log's origin, the name in its checkpoints.
func (w *Writer) Origin() string { return w.key.name }

// Err returns the sticky write error, if a write or fsync has failed.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Stats returns the writer's counters.
func (w *Writer) Stats() Stats {
	s := Stats{Checkpoints: w.checkpoints.Load(), CheckpointFailures: w.cpFailures.Load(),
		WitnessFailures: w.wFailures.Load(), Cosignatures: w.cosigs.Load(),
		TrailFailures: w.tFailures.Load(), TrailAccepted: w.tAccepted.Load(), TrailIndex: w.tIndex.Load(),
		BackPressure: w.backPressure.Load(), BackPressureBytes: w.bpBytes.Load()}
	w.fwdMu.Lock()
	defer w.fwdMu.Unlock()
	for _, f := range w.witnesses {
		if f.behind() {
			s.WitnessBehind++
		}
	}
	for _, f := range w.trails {
		if f.behind() {
			s.TrailBehind++
		}
	}
	return s
}

// AddTrails forwards the log's checkpoints to the trails ts from now until
// Close, beginning with the latest checkpoint, as Options.Trails does from
// Open: a trail never delays Append. It adds all of ts or none: it fails
// with an error matching provider.ErrInvalidConfig for a URL that is not
// http or https, and with ErrClosed after Close.
func (w *Writer) AddTrails(ts ...Trail) error {
	fs := make([]*forwarder, 0, len(ts))
	for _, t := range ts {
		f, err := newTrailForwarder(w, t)
		if err != nil {
			return fmt.Errorf("audit log %s: %w", w.path, err)
		}
		fs = append(fs, f)
	}
	w.fwdMu.Lock()
	defer w.fwdMu.Unlock()
	if w.fwdClosed {
		return ErrClosed
	}
	for _, f := range fs {
		w.trails = append(w.trails, f)
		f.offer(w.lastCkpt, w.ownLastNote())
		go f.run()
	}
	return nil
}

// ownLastNote returns a copy of the latest checkpoint's signed note, for
// a forwarder to keep. The caller holds fwdMu, or is Open.
func (w *Writer) ownLastNote() []byte { return append([]byte(nil), w.lastNote...) }

// Close waits for a checkpoint being signed, writes a last checkpoint,
// syncs and closes the file, and gives each witness and trail up to its
// timeout to accept it, then cancels its request still in flight. It is
// idempotent; it returns the first error, if any.
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
	w.cpMu.Lock()
	w.started = false // no checkpoint is asked of the signer from now on
	w.cpMu.Unlock()
	w.cpWG.Wait()
	close(w.cpReq)
	err := w.Err()
	if err == nil {
		err = w.checkpointNow()
	}
	w.fwdMu.Lock()
	w.fwdClosed = true
	fs := append(w.witnesses[:len(w.witnesses):len(w.witnesses)], w.trails...)
	w.fwdMu.Unlock()
	closeForwarders(fs)
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("audit log %s: %w", w.path, cerr)
	}
	w.ckMu.Lock()
	w.ck.Close()
	w.ckMu.Unlock()
	w.closeSidecars()
	if lerr := w.lock.Release(); err == nil && lerr != nil {
		err = fmt.Errorf("audit log %s: %w", w.path, lerr)
	}
	return err
}
