package trail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// dirOrigins is the OriginStore of a POSIX trail, in a directory:
//
//	origins/H.state   the last accepted checkpoint of the origin whose
//	                  SHA-256 in hex is H, in two slots (see stateSlots);
//	                  flocked by Update, so that processes on one host
//	                  exclude each other
//	evidence/H/E.json one refused checkpoint of that origin, E the SHA-256
//	                  of its note: the same refused note is kept once
//
// Within one process, a channel per origin orders the Updates before they
// take the flock, so that a waiting Update ends with its context; the
// state file of an origin stays open once an Update has opened it (one
// descriptor per origin).
type dirOrigins struct {
	dir  string
	sync *dirSyncer

	mu    sync.Mutex
	locks map[string]chan struct{}
	files map[string]*os.File
}

var _ OriginStore = (*dirOrigins)(nil)

func openDirOrigins(dir string) (*dirOrigins, error) {
	for _, d := range []string{dir, filepath.Join(dir, "origins"), filepath.Join(dir, "evidence")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("trail state %s: %w", dir, err)
		}
	}
	return &dirOrigins{dir: dir, sync: newDirSyncer(), locks: make(map[string]chan struct{}), files: make(map[string]*os.File)}, nil
}

// originFile is the file name, without extension, of an origin's state.
func originFile(origin string) string {
	h := sha256.Sum256([]byte(origin))
	return hex.EncodeToString(h[:])
}

// originState is the content of a state slot.
type originState struct {
	Origin string
	Accepted
}

func (s *dirOrigins) statePath(origin string) string {
	return filepath.Join(s.dir, "origins", originFile(origin)+".state")
}

func (s *dirOrigins) Update(ctx context.Context, origin string, f func(last Accepted, ok bool) (*Accepted, error)) error {
	ch := s.originLock(origin)
	select {
	case ch <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("trail state %s: origin %q: waiting for its lock: %w", s.dir, origin, context.Cause(ctx))
	}
	defer func() { <-ch }()
	sf, err := s.stateFile(origin)
	if err != nil {
		return err
	}
	if err := flock(ctx, sf); err != nil {
		return fmt.Errorf("trail state %s: origin %q: %w", s.dir, origin, err)
	}
	defer syscall.Flock(int(sf.Fd()), syscall.LOCK_UN)
	st, seq, ok, err := readStateSlots(sf)
	if err != nil {
		return fmt.Errorf("trail state %s: origin %q: %w", s.dir, origin, err)
	}
	if ok && st.Origin != origin {
		return fmt.Errorf("trail state %s: origin %q: %s holds the state of %q; restore it from a backup or remove it to accept the origin's next checkpoint afresh", s.dir, origin, sf.Name(), st.Origin)
	}
	next, err := f(st.Accepted, ok)
	if err != nil || next == nil {
		return err
	}
	b, err := json.Marshal(originState{Origin: origin, Accepted: *next})
	if err != nil {
		return err
	}
	if err := writeStateSlot(sf, seq+1, b); err != nil {
		return fmt.Errorf("trail state %s: origin %q: %w", s.dir, origin, err)
	}
	return nil
}

// originLock returns the channel that orders origin's Updates in this
// process.
func (s *dirOrigins) originLock(origin string) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.locks[origin]
	if !ok {
		ch = make(chan struct{}, 1)
		s.locks[origin] = ch
	}
	return ch
}

// stateFile returns origin's state file, open for reading and writing,
// creating it (durably) if missing. The caller holds origin's lock.
func (s *dirOrigins) stateFile(origin string) (*os.File, error) {
	s.mu.Lock()
	sf := s.files[origin]
	s.mu.Unlock()
	if sf != nil {
		return sf, nil
	}
	p := s.statePath(origin)
	sf, err := os.OpenFile(p, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		if sf, err = os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600); err == nil {
			err = s.sync.sync(filepath.Dir(p))
		}
	}
	if err != nil {
		if sf != nil {
			sf.Close()
		}
		return nil, fmt.Errorf("trail state %s: origin %q: %w", s.dir, origin, err)
	}
	s.mu.Lock()
	s.files[origin] = sf
	s.mu.Unlock()
	return sf, nil
}

// flock takes the exclusive flock of f, which another process may hold for
// one Update at a time: it polls, without blocking a thread in the kernel
// past ctx.
func flock(ctx context.Context, f *os.File) error {
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			return fmt.Errorf("flock %s: %w", f.Name(), err)
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return fmt.Errorf("waiting for the lock another process holds on %s: %w", f.Name(), context.Cause(ctx))
		}
	}
}

func (s *dirOrigins) Latest(_ context.Context, origin string) (Accepted, bool, error) {
	sf, err := os.Open(s.statePath(origin))
	if errors.Is(err, fs.ErrNotExist) {
		return Accepted{}, false, nil
	}
	if err != nil {
		return Accepted{}, false, fmt.Errorf("trail state %s: origin %q: %w", s.dir, origin, err)
	}
	defer sf.Close()
	st, _, ok, err := readStateSlots(sf)
	if err != nil {
		return Accepted{}, false, fmt.Errorf("trail state %s: origin %q: %w", s.dir, origin, err)
	}
	if ok && st.Origin != origin {
		return Accepted{}, false, fmt.Errorf("trail state %s: origin %q: %s holds the state of %q; restore it from a backup or remove it to accept the origin's next checkpoint afresh", s.dir, origin, sf.Name(), st.Origin)
	}
	return st.Accepted, ok, nil
}

func (s *dirOrigins) AddEvidence(_ context.Context, e Evidence) error {
	dir := filepath.Join(s.dir, "evidence", originFile(e.Origin))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("trail state %s: evidence of %q: %w", s.dir, e.Origin, err)
	}
	h := sha256.Sum256(e.Refused)
	name := hex.EncodeToString(h[:]) + ".json"
	if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
		return nil // this refused note is kept already
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(s.sync, dir, name, b); err != nil {
		return fmt.Errorf("trail state %s: evidence of %q: %w", s.dir, e.Origin, err)
	}
	return nil
}

func (s *dirOrigins) Evidence(_ context.Context, origin string) ([]Evidence, error) {
	dir := filepath.Join(s.dir, "evidence", originFile(origin))
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("trail state %s: evidence of %q: %w", s.dir, origin, err)
	}
	var out []Evidence
	for _, ent := range ents {
		if !strings.HasSuffix(ent.Name(), ".json") || strings.HasPrefix(ent.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, ent.Name()))
		if err != nil {
			return nil, fmt.Errorf("trail state %s: evidence of %q: %w", s.dir, origin, err)
		}
		var e Evidence
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("trail state %s: evidence of %q: %s: %w", s.dir, origin, ent.Name(), err)
		}
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b Evidence) int { return a.Time.Compare(b.Time) })
	return out, nil
}

// Close closes the state files Updates opened.
func (s *dirOrigins) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for o, f := range s.files {
		errs = append(errs, f.Close())
		delete(s.files, o)
	}
	return errors.Join(errs...)
}
