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
//	origins/H.json   the last accepted checkpoint of the origin whose
//	                 SHA-256 in hex is H, replaced atomically
//	origins/H.lock   flocked by Update, so that processes on one host
//	                 exclude each other
//	evidence/H/E.json one refused checkpoint of that origin, E the SHA-256
//	                 of its note: the same refused note is kept once
//
// Within one process, a channel per origin orders the Updates before they
// take the flock, so that a waiting Update ends with its context.
type dirOrigins struct {
	dir  string
	sync *dirSyncer

	mu    sync.Mutex
	locks map[string]chan struct{}
}

var _ OriginStore = (*dirOrigins)(nil)

func openDirOrigins(dir string) (*dirOrigins, error) {
	for _, d := range []string{dir, filepath.Join(dir, "origins"), filepath.Join(dir, "evidence")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("trail state %s: %w", dir, err)
		}
	}
	return &dirOrigins{dir: dir, sync: newDirSyncer(), locks: make(map[string]chan struct{})}, nil
}

// originFile is the file name, without extension, of an origin's state.
func originFile(origin string) string {
	h := sha256.Sum256([]byte(origin))
	return hex.EncodeToString(h[:])
}

// originState is the content of origins/H.json.
type originState struct {
	Origin string
	Accepted
}

func (s *dirOrigins) Update(ctx context.Context, origin string, f func(last Accepted, ok bool) (*Accepted, error)) error {
	unlock, err := s.lock(ctx, origin)
	if err != nil {
		return err
	}
	defer unlock()
	last, ok, err := s.Latest(ctx, origin)
	if err != nil {
		return err
	}
	next, err := f(last, ok)
	if err != nil || next == nil {
		return err
	}
	b, err := json.Marshal(originState{Origin: origin, Accepted: *next})
	if err != nil {
		return err
	}
	name := originFile(origin)
	if err := writeFileAtomic(s.sync, filepath.Join(s.dir, "origins"), name+".json", b); err != nil {
		return fmt.Errorf("trail state %s: origin %q: %w", s.dir, origin, err)
	}
	return nil
}

// lock takes origin's lock: first this process's, then the flock of its
// lock file. It returns the function that releases both.
func (s *dirOrigins) lock(ctx context.Context, origin string) (func(), error) {
	s.mu.Lock()
	ch, ok := s.locks[origin]
	if !ok {
		ch = make(chan struct{}, 1)
		s.locks[origin] = ch
	}
	s.mu.Unlock()
	select {
	case ch <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("trail state %s: origin %q: waiting for its lock: %w", s.dir, origin, context.Cause(ctx))
	}
	p := filepath.Join(s.dir, "origins", originFile(origin)+".lock")
	lf, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		<-ch
		return nil, fmt.Errorf("trail state %s: origin %q: %w", s.dir, origin, err)
	}
	// Another process holds the flock for one Update at a time: poll it,
	// without blocking a thread in the kernel past ctx.
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		err = syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			lf.Close()
			<-ch
			return nil, fmt.Errorf("trail state %s: origin %q: flock %s: %w", s.dir, origin, p, err)
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			lf.Close()
			<-ch
			return nil, fmt.Errorf("trail state %s: origin %q: waiting for the lock another process holds: %w", s.dir, origin, context.Cause(ctx))
		}
	}
	return func() {
		lf.Close() // releases the flock
		<-ch
	}, nil
}

func (s *dirOrigins) Latest(_ context.Context, origin string) (Accepted, bool, error) {
	p := filepath.Join(s.dir, "origins", originFile(origin)+".json")
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Accepted{}, false, nil
	}
	if err != nil {
		return Accepted{}, false, fmt.Errorf("trail state %s: origin %q: %w", s.dir, origin, err)
	}
	var st originState
	if err := json.Unmarshal(b, &st); err != nil || st.Origin != origin {
		return Accepted{}, false, fmt.Errorf("trail state %s: origin %q: %s is not its state (%v); restore it from a backup or remove it to accept the origin's next checkpoint afresh", s.dir, origin, p, err)
	}
	return st.Accepted, true, nil
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

func (s *dirOrigins) Close() error { return nil }
