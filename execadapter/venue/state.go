package venue

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/internal/recordfile"
)

// ErrState is matched by every error about the duplicate window on disk
// (see ServerOptions.StateDir).
var ErrState = errors.New("venue state")

// The duplicate window on disk is a directory of segment files named
// NNNNNNNNNNNNNNNNNNNN.dedup (a 20-digit sequence number), each a sequence of
// records, one per accepted order, in the record file of package recordfile
// (its scanner, torn-tail rule, lock, directory fsync and permission rule
// are the audit log's too):
//
//	1  client order ID length c (1 to 36)
//	c  client order ID
//	8  venue order ID, big-endian
//	8  venue time of acceptance, Unix nanoseconds, big-endian
//	4  CRC-32C of the bytes above, big-endian
//
// Records are appended to the last segment and made durable (write and
// fsync) before any ack is sent, so every order the venue acknowledged is in
// the window after a crash. Only an incomplete final record of the last
// segment with nothing valid after it is the tail of a write that was never
// acknowledged, and is cut off when the state is opened; anything else
// malformed (a record failing its CRC, a length out of bounds, an incomplete
// record followed by valid bytes, or damage in an older segment) is
// corruption: the state is refused and left as it is. A new segment starts
// when the last one spans a quarter of the window or holds a quarter of its
// capacity; older segments are removed once their records are out of the
// window or more than capacity newer records follow them. The last segment
// is never removed, so venue order IDs keep growing across restarts.
const (
	stateExt      = ".dedup"
	stateLockFile = "lock"
	recordTrailer = 8 + 8 + 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// stateFormat frames the records of a segment.
var stateFormat = &recordfile.Format{
	MaxRecord: 1 + order.MaxClientOrderID + recordTrailer,
	Frame: func(b []byte) (int, error) {
		c := int(b[0])
		if c == 0 || c > order.MaxClientOrderID {
			return 0, fmt.Errorf("client order ID length %d is outside 1 to %d", c, order.MaxClientOrderID)
		}
		n := 1 + c + recordTrailer
		if len(b) < n {
			return 0, nil
		}
		if crc32.Checksum(b[:n-4], castagnoli) != binary.BigEndian.Uint32(b[n-4:]) {
			return 0, errors.New("CRC-32C does not match: the record was changed")
		}
		return n, nil
	},
	Relength: func(tail []byte) bool {
		c := len(tail) - 1 - recordTrailer
		if c < 1 || c > order.MaxClientOrderID {
			return false
		}
		sum := crc32.Update(crc32.Checksum([]byte{byte(c)}, castagnoli), castagnoli, tail[1:len(tail)-4])
		return sum == binary.BigEndian.Uint32(tail[len(tail)-4:])
	},
}

type segment struct {
	seq         uint64
	first, last int64 // venue times of the first and last records
	n           int
}

// dedupLog is the duplicate window of a Sim on disk.
type dedupLog struct {
	dir      string
	window   int64
	capacity int
	segMax   int
	recovery Recovery // what opening it found and cut

	mu       sync.Mutex // guards pending, appended and err; taken after Sim.mu
	pending  []byte
	appended uint64
	err      error // sticky: once the state failed, nothing is acknowledged

	syncMu sync.Mutex // one write and fsync at a time; guards the rest
	spare  []byte
	synced uint64
	f      *os.File
	segs   []segment
	lock   *recordfile.Lock
}

// Recovery says what opening the duplicate window on disk found: the
// records intact in all its segments, and the torn tail cut off the last
// one, if any.
type Recovery = recordfile.Recovery

// stateRecord is one record read back.
type stateRecord struct {
	id      []byte
	venueID uint64
	t       int64
}

// openDedupLog opens (creating it if needed) the state in dir, locks it
// against a second venue, cuts a torn tail off the last segment and calls
// load with every record, oldest first.
func openDedupLog(dir string, window int64, capacity int, load func(stateRecord)) (*dedupLog, error) {
	if err := recordfile.MkdirAll(dir); err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrState, dir, err)
	}
	lock, err := recordfile.Acquire(filepath.Join(dir, stateLockFile))
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrState, dir, err)
	}
	l := &dedupLog{dir: dir, window: window, capacity: capacity, segMax: max(capacity/4, 1), lock: lock,
		pending: make([]byte, 0, 4096), spare: make([]byte, 0, 4096)}
	if err := l.load(load); err != nil {
		lock.Release()
		return nil, err
	}
	return l, nil
}

func (l *dedupLog) segPath(seq uint64) string {
	return filepath.Join(l.dir, fmt.Sprintf("%020d%s", seq, stateExt))
}

func (l *dedupLog) load(load func(stateRecord)) error {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return fmt.Errorf("%w %s: %w", ErrState, l.dir, err)
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), stateExt)
		if !ok {
			continue
		}
		seq, err := strconv.ParseUint(name, 10, 64)
		if err != nil || len(name) != 20 || !e.Type().IsRegular() {
			return fmt.Errorf("%w %s: %q is not a segment of the state; move it away", ErrState, l.dir, e.Name())
		}
		l.segs = append(l.segs, segment{seq: seq})
	}
	slices.SortFunc(l.segs, func(a, b segment) int { return cmp.Compare(a.seq, b.seq) })
	if len(l.segs) == 0 {
		l.segs = append(l.segs, segment{seq: 1})
	}
	for i := range l.segs {
		if err := l.loadSegment(&l.segs[i], i == len(l.segs)-1, load); err != nil {
			return err
		}
	}
	cur := l.segs[len(l.segs)-1]
	f, err := recordfile.OpenFile(l.segPath(cur.seq), os.O_WRONLY|os.O_APPEND)
	if err != nil {
		return fmt.Errorf("%w %s: %w", ErrState, l.dir, err)
	}
	l.f = f
	return nil
}

// loadSegment reads the records of segment s through, calling load with
// each; a torn tail is cut if s is the last segment, last.
func (l *dedupLog) loadSegment(s *segment, last bool, load func(stateRecord)) error {
	path := l.segPath(s.seq)
	f, err := recordfile.OpenFile(path, os.O_RDWR)
	if err != nil {
		return fmt.Errorf("%w %s: %w", ErrState, path, err)
	}
	defer f.Close()
	sc := recordfile.NewScanner(f, stateFormat)
	for {
		b, err := sc.Next()
		if err == nil {
			r := parseStateRecord(b)
			if s.n == 0 {
				s.first = r.t
			}
			s.last = r.t
			s.n++
			l.recovery.Records++
			load(r)
			continue
		}
		var torn *recordfile.TornError
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case last && errors.As(err, &torn):
			// The tail of a write that was never made durable, so never acknowledged.
			rec, err := recordfile.Cut(f, torn, sc.Records())
			if err != nil {
				return fmt.Errorf("%w %s: %w", ErrState, path, err)
			}
			rec.Records = l.recovery.Records
			l.recovery = rec
			return nil
		case errors.As(err, &torn), errors.As(err, new(*recordfile.CorruptError)):
			return fmt.Errorf("%w %s: corrupt: %w; the venue cannot know which orders it acknowledged, and leaves the file as it is (moving the directory away starts an empty window, and a resent order may then be accepted twice)", ErrState, path, err)
		}
		return fmt.Errorf("%w %s: %w", ErrState, path, err)
	}
}

// parseStateRecord decodes a record that stateFormat framed and checked.
func parseStateRecord(b []byte) stateRecord {
	c := int(b[0])
	return stateRecord{
		id:      b[1 : 1+c : 1+c],
		venueID: binary.BigEndian.Uint64(b[1+c:]),
		t:       int64(binary.BigEndian.Uint64(b[1+c+8:])),
	}
}

// append adds a record to be written by the next sync. The caller holds
// Sim.mu, so that no duplicate of the order is answered before the record
// exists.
func (l *dedupLog) append(id []byte, venueID uint64, t int64) {
	if len(id) == 0 || len(id) > order.MaxClientOrderID {
		return // Process only gets here with a decoded order
	}
	l.mu.Lock()
	start := len(l.pending)
	b := append(l.pending, byte(len(id)))
	b = append(b, id...)
	b = binary.BigEndian.AppendUint64(b, venueID)
	b = binary.BigEndian.AppendUint64(b, uint64(t))
	l.pending = binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
	l.appended++
	l.mu.Unlock()
}

// sync makes every record appended so far durable. Concurrent callers
// share one write and fsync. After a failure every later sync fails.
func (l *dedupLog) sync() error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.Lock()
	if l.err != nil {
		err := l.err
		l.mu.Unlock()
		return err
	}
	target, buf := l.appended, l.pending
	l.pending = l.spare[:0]
	l.mu.Unlock()
	if l.synced >= target {
		l.spare = buf
		return nil
	}
	err := l.write(buf)
	l.spare = buf[:0]
	if err != nil {
		err = fmt.Errorf("%w %s: %w", ErrState, l.dir, err)
		l.mu.Lock()
		l.err = err
		l.mu.Unlock()
		return err
	}
	l.synced = target
	return nil
}

// write writes records, fsyncs, and rotates and trims the segments.
func (l *dedupLog) write(buf []byte) error {
	if _, err := l.f.Write(buf); err != nil {
		return err
	}
	if err := l.f.Sync(); err != nil {
		return err
	}
	s := &l.segs[len(l.segs)-1]
	for p := buf; len(p) > 0; {
		r := parseStateRecord(p)
		if s.n == 0 {
			s.first = r.t
		}
		s.last = r.t
		s.n++
		p = p[1+len(r.id)+recordTrailer:]
	}
	if s.n < l.segMax && s.last-s.first < l.window/4 {
		return nil
	}
	next := s.seq + 1
	f, err := recordfile.OpenFile(l.segPath(next), os.O_WRONLY|os.O_EXCL|os.O_APPEND)
	if err != nil {
		return err
	}
	l.f.Close()
	l.f = f
	l.segs = append(l.segs, segment{seq: next})
	// Remove the segments wholly out of the window, or followed by at least
	// capacity newer records (which the window in memory keeps instead).
	newer := 0
	for _, s := range l.segs {
		newer += s.n
	}
	horizon := l.segs[len(l.segs)-2].last - l.window
	removed := 0
	for _, s := range l.segs[:len(l.segs)-1] {
		newer -= s.n
		if s.last > horizon && newer < l.capacity {
			break
		}
		if err := recordfile.Remove(l.segPath(s.seq)); err != nil {
			return err
		}
		removed++
	}
	l.segs = slices.Delete(l.segs, 0, removed)
	return nil
}

// close closes the state and releases its lock.
func (l *dedupLog) close() error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	err := l.f.Close()
	if lerr := l.lock.Release(); err == nil {
		err = lerr
	}
	return err
}
