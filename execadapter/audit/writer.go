package audit

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/execadapter/internal/recordfile"
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
	// window: the records after Durable(), those whose Append returned
	// since the last fsync (within the last BatchInterval plus the time of
	// one write and fsync, unless back-pressure wrote them sooner), are
	// lost if the process or machine dies. They are lost too, with the
	// process alive, when a write or fsync fails (a full disk): the failure
	// is sticky, so the Append that meets it and every later one fail with
	// ErrNotDurable and nothing appended after it is acknowledged, but the
	// records already appended and not yet written are never written.
	// Records written but not yet fsynced when a write fails stay in the
	// file unless the machine dies; reopening cuts the partial record.
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
	// Signer signs checkpoints. Required. An Ed25519 key makes standard
	// C2SP signed notes; any other key signs with signature type 0xff
	// "tinywindow.dev/provider-signature/ALG" (see docs/execadapter.md).
	Signer provider.Signer
	// Origin names the log in its checkpoints (the first line of the
	// C2SP checkpoint, and the signed-note key name). Default: the origin
	// of the log's checkpoints, or for a new log
	// "tinywindow.dev/audit/" and 16 random hex digits.
	Origin string
	// Durability is Always or Batch (the default).
	Durability Durability
	// BatchInterval is the group-commit period of Batch (default 2ms).
	BatchInterval time.Duration
	// BatchBytes is the pending-records mark of Batch past which Append
	// applies back-pressure, so that memory stays bounded when the flusher
	// falls behind and no record is ever dropped: an Append that finds more
	// than BatchBytes pending while the flusher is idle hashes and writes
	// them itself; while the flusher is busy hashing and writing, Appends
	// go on buffering up to twice BatchBytes, and past that wait for it and
	// write the rest. No Append waits for an fsync. Stats counts these
	// Appends. The default is 1 MiB for each 2ms of BatchInterval (1 MiB
	// at least, 16 MiB at most): two periods of records at 250 MB/s, so
	// that a longer period does not turn every flush into back-pressure.
	// Open allocates two buffers of twice BatchBytes and 64 KiB and maps
	// their pages (they stay resident), so that Append never grows one (a
	// record over 64 KiB still may) nor takes a page fault in it.
	BatchBytes int
	// CheckpointEvery is the largest number of records between two
	// checkpoints (default 65536); CheckpointInterval the longest time
	// (default 1s). Open and Close always write one.
	CheckpointEvery    int
	CheckpointInterval time.Duration
	// CheckpointTimeout bounds the signing of one checkpoint (default 5s).
	// Signing runs outside the writer's lock: a slow signer never delays
	// Append. A failure is counted (Stats) and logged, and the next flush
	// tries again.
	CheckpointTimeout time.Duration
	// CheckpointsPath is the checkpoints file every checkpoint is appended
	// to, with the cosignatures of the witnesses (default: the log's path
	// and ".checkpoints").
	CheckpointsPath string
	// Witnesses receive every checkpoint over C2SP tlog-witness. A witness
	// that is down or slow never delays Append: the latest checkpoint waits
	// for it and is sent when it answers.
	Witnesses []Witness
	// Logger receives a line for each failed checkpoint signature and
	// witness request (default slog.Default()).
	Logger *slog.Logger
	// OpenFile opens the log file for reading and writing, creating it if
	// needed. The default creates it with mode 0600 and fsyncs its
	// directory, and refuses an existing file that group or others can
	// write.
	OpenFile func(path string) (File, error)
}

// ErrNotDurable is matched by the error of an Append (or Sync) whose record
// was not written to stable storage. Once a write or fsync has failed, every
// later call fails with it too: the file's tail is unknown until the log is
// reopened (which truncates a torn tail).
var ErrNotDurable = errors.New("audit record is not durable")

// ErrClosed is returned by calls on a closed Writer.
var ErrClosed = errors.New("audit log is closed")

// Recovery says what Open found: the intact records, and the torn tail it
// cut, if any. It is the venue state's report too (venue.Recovery).
type Recovery = recordfile.Recovery

// Stats counts a Writer's checkpoints and witness traffic.
type Stats struct {
	Checkpoints        uint64 // checkpoints signed and appended
	CheckpointFailures uint64 // checkpoint signatures that failed or timed out
	WitnessFailures    uint64 // witness requests that failed
	Cosignatures       uint64 // cosignatures received and kept
	WitnessBehind      int    // witnesses that have not cosigned the latest checkpoint
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
	backPressure, bpBytes   atomic.Uint64
	witnesses               []*witnessClient

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
		opts.BatchBytes = defaultBatchBytes(opts.BatchInterval)
	}
	if opts.CheckpointEvery <= 0 {
		opts.CheckpointEvery = 1 << 16
	}
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = time.Second
	}
	if opts.CheckpointTimeout <= 0 {
		opts.CheckpointTimeout = 5 * time.Second
	}
	if opts.CheckpointsPath == "" {
		opts.CheckpointsPath = path + ".checkpoints"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.OpenFile == nil {
		opts.OpenFile = func(p string) (File, error) { return recordfile.OpenFile(p, os.O_RDWR) }
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
	for _, wo := range opts.Witnesses {
		wc, err := newWitnessClient(w, wo)
		if err != nil {
			w.ck.Close()
			return fail(err)
		}
		w.witnesses = append(w.witnesses, wc)
	}
	for _, wc := range w.witnesses {
		go wc.run()
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

// prefaulted returns an empty buffer of capacity n whose pages are mapped:
// the kernel maps them now rather than by page faults in the Appends that
// first reach them.
func prefaulted(n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 4096 {
		b[i] = 0
	}
	return b[:0]
}

// defaultBatchBytes is BatchBytes's default for a group-commit period: 1
// MiB for each 2ms, between 1 and 16 MiB.
func defaultBatchBytes(interval time.Duration) int {
	return int(min(max(interval/(2*time.Millisecond), 1), 16)) << 20
}

// latestCheckpoint returns the checkpoint of largest size in a checkpoints
// file (its signatures are checked by Verify, not here).
func latestCheckpoint(path string) (Checkpoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Checkpoint{}, nil
	}
	if err != nil {
		return Checkpoint{}, fmt.Errorf("audit log: checkpoints file: %w", err)
	}
	// A last note cut short by a crash while it was appended is skipped:
	// the same checkpoint is in the log.
	notes, _ := splitNotes(b)
	var best Checkpoint
	for i, n := range notes {
		text, _, _ := cutNote(n)
		c, err := ParseCheckpoint(text)
		if err != nil && i == len(notes)-1 {
			break
		}
		if err != nil {
			return Checkpoint{}, fmt.Errorf("audit log: checkpoints file %s: note %d: %w", path, i+1, err)
		}
		if best.Origin != "" && c.Origin != best.Origin {
			return Checkpoint{}, fmt.Errorf("%w: checkpoints file %s holds checkpoints of two logs, %q and %q", ErrCorrupt, path, best.Origin, c.Origin)
		}
		if c.N >= best.N {
			best = c
		}
	}
	return best, nil
}

// recover reads the file, rebuilds the tree and its hashes and index files,
// checks the log against anchor (the latest checkpoint in the checkpoints
// file) and truncates a torn tail. It returns the origin of the log's
// checkpoints ("" if none).
func (w *Writer) recover(anchor Checkpoint) (Recovery, string, error) {
	var rec Recovery
	where := func(err error) error {
		return fmt.Errorf("audit log %s: %w (run tinywindow audit verify to examine it; the writer leaves the file untouched)", w.path, err)
	}
	if _, err := w.f.Seek(0, io.SeekStart); err != nil {
		return rec, "", fmt.Errorf("audit log %s: %w", w.path, err)
	}
	if err := w.openSidecars(); err != nil {
		return rec, "", err
	}
	s, err := newScanner(w.f)
	if errors.Is(err, io.EOF) { // new file
		if anchor.N > 0 {
			return rec, "", where(fmt.Errorf("%w: the log is empty but checkpoint %d in %s covers %d records", ErrCorrupt, anchor.N, w.opts.CheckpointsPath, anchor.N))
		}
		if _, err := w.f.Write([]byte(Magic)); err != nil {
			return rec, "", fmt.Errorf("%w: audit log %s: writing header: %w", ErrNotDurable, w.path, err)
		}
		w.off = int64(len(Magic))
		return rec, "", nil
	}
	if err != nil {
		return rec, "", where(err)
	}
	hw, xw := bufio.NewWriterSize(w.hf, 1<<16), bufio.NewWriterSize(w.xf, 1<<16)
	store := func(h tlog.Hash) { hw.Write(h[:]) }
	origin := ""
	lastN := int64(-1)
	var ob [8]byte
	for {
		r, err := s.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, errTorn) {
			if anchor.N >= int64(s.seq+1) {
				return rec, "", where(fmt.Errorf("%w: record %d at byte %d is cut short, but checkpoint %d in %s covers it", ErrCorrupt, s.seq+1, s.off, anchor.N, w.opts.CheckpointsPath))
			}
			end, serr := w.f.Seek(0, io.SeekEnd)
			if serr != nil {
				return rec, "", fmt.Errorf("audit log %s: %w", w.path, serr)
			}
			if rec, err = recordfile.Cut(w.f, &recordfile.TornError{Record: s.seq + 1, Offset: s.off, Bytes: end - s.off}, s.seq); err != nil {
				return rec, "", fmt.Errorf("%w: audit log %s: %w", ErrNotDurable, w.path, err)
			}
			break
		}
		if err != nil {
			return rec, "", where(err)
		}
		if r.Type == TypeCheckpoint {
			// The checkpoint's root must be the tree's at its size (its
			// signature is Verify's to check).
			bad := func(why string) error {
				return where(&BadRecordError{Record: r.Seq, Offset: r.Offset, Reason: "checkpoint: " + why})
			}
			text, _, _ := cutNote(r.Payload)
			c, err := ParseCheckpoint(text)
			if err != nil {
				return rec, "", bad(err.Error())
			}
			if origin != "" && c.Origin != origin {
				return rec, "", bad(fmt.Sprintf("origin %q, but the log is %q", c.Origin, origin))
			}
			if c.N <= lastN || c.N >= int64(r.Seq) {
				return rec, "", bad(fmt.Sprintf("tree size %d, want between %d and %d", c.N, lastN+1, r.Seq-1))
			}
			if err := hw.Flush(); err != nil {
				return rec, "", fmt.Errorf("audit log %s: hashes file: %w", w.path, err)
			}
			root, err := tlog.TreeHash(c.N, fileHashReader{w.hf})
			if err != nil {
				return rec, "", fmt.Errorf("audit log %s: %w", w.path, err)
			}
			if root != c.Hash {
				return rec, "", bad(fmt.Sprintf("root hash is not that of records 1 to %d: a record before it was changed", c.N))
			}
			origin, lastN = c.Origin, c.N
		}
		w.tree.append(r.Hash, store)
		binary.BigEndian.PutUint64(ob[:], uint64(r.Offset))
		xw.Write(ob[:])
		if w.tree.n == anchor.N {
			if anchor.Origin != "" && origin != "" && anchor.Origin != origin {
				return rec, "", where(fmt.Errorf("%w: checkpoints file %s is of log %q, this log is %q", ErrCorrupt, w.opts.CheckpointsPath, anchor.Origin, origin))
			}
			if w.tree.root() != anchor.Hash {
				return rec, "", where(fmt.Errorf("%w: records 1 to %d do not match checkpoint %d in %s", ErrCorrupt, anchor.N, anchor.N, w.opts.CheckpointsPath))
			}
		}
	}
	if w.tree.n < anchor.N {
		return rec, "", where(fmt.Errorf("%w: the log holds %d records but checkpoint %d in %s covers %d: records were cut off", ErrCorrupt, w.tree.n, anchor.N, w.opts.CheckpointsPath, anchor.N))
	}
	if anchor.Origin != "" && origin == "" {
		origin = anchor.Origin
	}
	if err := hw.Flush(); err != nil {
		return rec, "", fmt.Errorf("audit log %s: hashes file: %w", w.path, err)
	}
	if err := xw.Flush(); err != nil {
		return rec, "", fmt.Errorf("audit log %s: index file: %w", w.path, err)
	}
	rec.Records = s.seq
	w.seq = s.seq
	w.durable.Store(s.seq)
	w.written = s.seq
	w.off = s.off
	if _, err := w.f.Seek(s.off, io.SeekStart); err != nil {
		return rec, "", fmt.Errorf("audit log %s: %w", w.path, err)
	}
	return rec, origin, nil
}

// openSidecars creates the hashes file (the tlog stored hashes of the
// tree, 32 bytes each, at tlog.StoredHashIndex) and the index file (each
// record's offset, 8 bytes big-endian), both derived from the log and
// rebuilt at every Open.
func (w *Writer) openSidecars() error {
	var err error
	if w.hf, err = recordfile.OpenFile(w.path+".hashes.tmp", os.O_RDWR|os.O_TRUNC); err != nil {
		return fmt.Errorf("audit log %s: hashes file: %w", w.path, err)
	}
	if w.xf, err = recordfile.OpenFile(w.path+".idx.tmp", os.O_RDWR|os.O_TRUNC); err != nil {
		return fmt.Errorf("audit log %s: index file: %w", w.path, err)
	}
	return nil
}

// installSidecars puts the rebuilt hashes and index files in place of the
// old ones, once the log has been read through.
func (w *Writer) installSidecars() error {
	for _, ext := range []string{".hashes", ".idx"} {
		if err := recordfile.Rename(w.path+ext+".tmp", w.path+ext); err != nil {
			return fmt.Errorf("audit log %s: %w", w.path, err)
		}
	}
	return nil
}

func (w *Writer) closeSidecars() {
	if w.hf != nil {
		w.hf.Close()
	}
	if w.xf != nil {
		w.xf.Close()
	}
}

// dropSidecars closes and removes sidecars that were never installed.
func (w *Writer) dropSidecars() {
	w.closeSidecars()
	recordfile.Remove(w.path + ".hashes.tmp")
	recordfile.Remove(w.path + ".idx.tmp")
}

// Append adds a record whose payload is the concatenation of parts; its
// type may not be TypeCheckpoint or TypeRecovery, which only the writer
// writes. With
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
	if !typ.known() || typ == TypeCheckpoint || typ == TypeRecovery {
		return fmt.Errorf("%w: audit log: a record of type %v is written by the writer itself, or unknown", provider.ErrInvalidConfig, typ)
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
	pending := len(w.buf)
	w.mu.Unlock()
	if w.opts.Durability == Always {
		return w.commit(seq)
	}
	switch {
	case pending >= 2*w.opts.BatchBytes:
		w.flushMu.Lock()
		return w.writeOut()
	case pending >= w.opts.BatchBytes && w.flushMu.TryLock():
		return w.writeOut()
	}
	return nil
}

// writeOut hands the pending records to the file without waiting for an
// fsync (Batch, under back-pressure), and unlocks flushMu: memory stays
// bounded, and the flusher's next fsync makes the records durable. The
// caller waited at most for the flusher's hashing and write, never for an
// fsync, which the flusher makes outside flushMu.
func (w *Writer) writeOut() error {
	defer w.flushMu.Unlock()
	err := w.flushLocked(false)
	if w.outLen > 0 {
		w.backPressure.Add(1)
		w.bpBytes.Add(uint64(w.outLen))
	}
	return err
}

// markDurable records that every record up to seq is on stable storage.
// Several goroutines fsync (the flusher, Sync, Close): the highest wins.
func (w *Writer) markDurable(seq uint64) {
	for {
		d := w.durable.Load()
		if d >= seq || w.durable.CompareAndSwap(d, seq) {
			return
		}
	}
}

// appendLocked encodes a record into the buffer, with room for its leaf
// hash, which the flush computes.
func (w *Writer) appendLocked(typ Type, now int64, parts ...[]byte) uint64 {
	w.seq++
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
	w.buf = append(w.buf, zeroHash[:]...)
	return w.seq
}

var zeroHash [HashSize]byte

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
	return w.flushLocked(true)
}

// flushLocked hashes and writes everything pending, and if sync, fsyncs it
// and everything written before; flushMu is held. After an fsync, if a
// checkpoint is due, it starts signing one outside every lock: a checkpoint
// only ever covers records on stable storage.
func (w *Writer) flushLocked(sync bool) error {
	w.outLen = 0
	w.mu.Lock()
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return err
	}
	if len(w.buf) == 0 {
		w.mu.Unlock()
		if !sync {
			return nil
		}
		if w.written > w.durable.Load() {
			if err := w.f.Sync(); err != nil {
				w.mu.Lock()
				w.err = fmt.Errorf("%w: audit log %s: %w", ErrNotDurable, w.path, err)
				err = w.err
				w.mu.Unlock()
				return err
			}
			w.markDurable(w.written)
		}
		w.maybeCheckpoint()
		return nil
	}
	out := w.buf
	w.buf = w.spare[:0]
	upto := w.seq
	w.mu.Unlock()
	w.outLen = len(out)

	var ob [8]byte
	for p := 0; p < len(out); {
		end := p + lenSize + int(binary.BigEndian.Uint32(out[p:]))
		leafHash(w.fh, out[p:end], out[end:end+HashSize])
		w.tree.append(tlog.Hash(out[end:end+HashSize]), w.store)
		binary.BigEndian.PutUint64(ob[:], uint64(w.off)+uint64(p))
		w.ibuf = append(w.ibuf, ob[:]...)
		p = end + HashSize
	}
	_, err := w.f.Write(out)
	if err == nil && sync {
		err = w.f.Sync()
	}
	w.off += int64(len(out))
	// The hashes and index files are derived data, rebuilt by Open: they
	// are written, not synced.
	if _, herr := w.hf.Write(w.hbuf); herr == nil {
		_, herr = w.xf.Write(w.ibuf)
		if herr != nil {
			w.log.Warn("audit log: writing the index file", "path", w.path, "err", herr)
		}
	} else {
		w.log.Warn("audit log: writing the hashes file", "path", w.path, "err", herr)
	}
	w.hbuf, w.ibuf = w.hbuf[:0], w.ibuf[:0]
	w.mu.Lock()
	w.spare = out[:0]
	if err != nil {
		w.err = fmt.Errorf("%w: audit log %s: %w", ErrNotDurable, w.path, err)
		err = w.err
	}
	w.mu.Unlock()
	if err != nil {
		return err
	}
	w.written = upto
	if sync {
		w.markDurable(upto)
		w.maybeCheckpoint()
	}
	return nil
}

// maybeCheckpoint starts signing a checkpoint of the tree as flushed, if
// one is due and none is being signed; flushMu is held and everything
// flushed is on stable storage.
func (w *Writer) maybeCheckpoint() {
	if w.checkpointDue(w.tree.n) {
		w.startCheckpoint(w.tree.n, w.tree.root())
	}
}

// checkpointDue reports whether a checkpoint of a tree of n leaves is due
// and none is being signed.
func (w *Writer) checkpointDue(n int64) bool {
	w.cpMu.Lock()
	defer w.cpMu.Unlock()
	return w.dueLocked(n)
}

func (w *Writer) dueLocked(n int64) bool {
	return w.started && !w.cpBusy && n > w.lastCP &&
		(n-w.lastCP >= int64(w.opts.CheckpointEvery) || time.Since(w.cpTime) >= w.opts.CheckpointInterval)
}

// startCheckpoint hands the signer a checkpoint of the tree of n leaves
// with root hash root, whose leaves are all on stable storage, if one is
// still due.
func (w *Writer) startCheckpoint(n int64, root tlog.Hash) {
	w.cpMu.Lock()
	defer w.cpMu.Unlock()
	if !w.dueLocked(n) {
		return
	}
	w.mu.Lock()
	closed := w.closed
	w.mu.Unlock()
	if closed {
		return
	}
	w.cpBusy = true
	c := Checkpoint{Origin: w.key.name, Tree: tlog.Tree{N: n, Hash: root}, Time: checkpointTime()}
	w.cpWG.Add(1)
	w.cpReq <- c // never blocks: at most one is outstanding
}

// signer signs the checkpoints maybeCheckpoint asks for, one at a time,
// off the path of Append.
func (w *Writer) signer() {
	for c := range w.cpReq {
		seq, err := w.signAndAppend(c)
		w.cpMu.Lock()
		w.cpBusy = false
		w.cpTime = time.Now()
		w.cpMu.Unlock()
		if err == nil && w.opts.Durability == Always {
			_ = w.commit(seq) // an error is sticky: the next Append reports it
		}
		w.cpWG.Done()
	}
}

// signAndAppend signs c with a deadline, appends its record, writes it to
// the checkpoints file and hands it to the witnesses.
func (w *Writer) signAndAppend(c Checkpoint) (uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), w.opts.CheckpointTimeout)
	msg, sig, err := appendSignedCheckpoint(ctx, w.noteBuf[:0], w.sigBuf, c, w.key)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err() // a signer that ignored its deadline
	}
	cancel()
	w.noteBuf, w.sigBuf = msg, sig
	if err != nil {
		w.cpFailures.Add(1)
		w.log.Error("audit log: signing a checkpoint failed; the next flush tries again", "path", w.path, "size", c.N, "err", err)
		return 0, fmt.Errorf("%w: audit checkpoint: signing: %w", ErrNotDurable, err)
	}
	w.mu.Lock()
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return 0, err
	}
	seq := w.appendLocked(TypeCheckpoint, c.Time, msg)
	w.mu.Unlock()
	w.cpMu.Lock()
	if c.N > w.lastCP {
		w.lastCP = c.N
	}
	w.cpMu.Unlock()
	w.checkpoints.Add(1)
	w.appendCheckpointsFile(msg)
	if len(w.witnesses) > 0 {
		own := append([]byte(nil), msg...)
		for _, wc := range w.witnesses {
			wc.offer(c, own)
		}
	}
	return seq, nil
}

// trimCheckpointsFile cuts a last note that a crash left incomplete off
// the checkpoints file, so that the next note starts on a clean line; the
// same checkpoint is in the log.
func (w *Writer) trimCheckpointsFile() error {
	b, err := io.ReadAll(io.NewSectionReader(w.ck, 0, 1<<40))
	if err != nil {
		return fmt.Errorf("audit log: checkpoints file: %w", err)
	}
	if n := completeNotes(b); n < len(b) {
		w.log.Warn("audit log: cutting an incomplete last note off the checkpoints file", "path", w.opts.CheckpointsPath, "bytes", len(b)-n)
		if err := w.ck.Truncate(int64(n)); err != nil {
			return fmt.Errorf("audit log: checkpoints file: %w", err)
		}
	}
	return nil
}

// appendCheckpointsFile appends a signed note and a blank line to the
// checkpoints file and syncs it.
func (w *Writer) appendCheckpointsFile(msg []byte) {
	w.ckMu.Lock()
	defer w.ckMu.Unlock()
	w.ckBuf = append(append(w.ckBuf[:0], msg...), '\n')
	_, err := w.ck.Write(w.ckBuf)
	if err == nil {
		err = w.ck.Sync()
	}
	if err != nil {
		w.log.Error("audit log: writing the checkpoints file", "path", w.opts.CheckpointsPath, "err", err)
	}
}

// checkpointNow flushes, signs a checkpoint of everything and flushes it:
// Open and Close end with one. No Append runs meanwhile.
func (w *Writer) checkpointNow() error {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	if err := w.flushLocked(true); err != nil {
		return err
	}
	w.cpMu.Lock()
	c := Checkpoint{Origin: w.key.name, Tree: tlog.Tree{N: w.tree.n, Hash: w.tree.root()}, Time: checkpointTime()}
	w.cpMu.Unlock()
	if _, err := w.signAndAppend(c); err != nil {
		w.mu.Lock()
		w.err = err
		w.mu.Unlock()
		return err
	}
	return w.flushLocked(true)
}

// Sync writes and fsyncs every record appended so far.
func (w *Writer) Sync() error {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	return w.flushLocked(true)
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
		BackPressure: w.backPressure.Load(), BackPressureBytes: w.bpBytes.Load()}
	for _, wc := range w.witnesses {
		if wc.behind() {
			s.WitnessBehind++
		}
	}
	return s
}

// flusher group-commits in Batch durability: every BatchInterval it hashes
// the pending records and writes them under flushMu, then fsyncs outside
// it, so that an Append under back-pressure never waits for the disk. A
// checkpoint, if one is due, covers the tree as it was when the fsync
// started, every leaf of which the fsync made durable. The flusher runs on
// a thread of its own at the lowest scheduling priority: its hashing,
// write and fsync then yield the CPU to the goroutines that sign and send
// orders, which on a small machine cuts the adapter's p99 latency by about
// two thirds. Its fsync needs no goroutine of its own, whose wake-up every
// period would cost a thread wake-up too. The thread ends with the
// goroutine.
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
			_ = w.groupCommit() // the error is sticky: Append reports it
		}
	}
}

// groupCommit hashes and writes the pending records, fsyncs everything
// written, and starts a checkpoint if one is due.
func (w *Writer) groupCommit() error {
	w.flushMu.Lock()
	err := w.flushLocked(false)
	upto, n := w.written, w.tree.n
	var root tlog.Hash
	due := err == nil && w.checkpointDue(n)
	if due {
		root = w.tree.root()
	}
	w.flushMu.Unlock()
	if err != nil {
		return err
	}
	if upto > w.durable.Load() {
		if err := w.f.Sync(); err != nil {
			w.mu.Lock()
			if w.err == nil {
				w.err = fmt.Errorf("%w: audit log %s: %w", ErrNotDurable, w.path, err)
			}
			err = w.err
			w.mu.Unlock()
			return err
		}
		w.markDurable(upto)
	}
	if due {
		w.startCheckpoint(n, root)
	}
	return nil
}

// Close waits for a checkpoint being signed, writes a last checkpoint,
// syncs and closes the file, and gives the witnesses up to their timeout to
// cosign it. It is idempotent; it returns the first error, if any.
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
	for _, wc := range w.witnesses {
		wc.close()
	}
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
