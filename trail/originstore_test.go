package trail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// testAccepted returns an Accepted for tree size n of origin, at entry index
// n+100, with a note that names both.
func testAccepted(origin string, n int64) *Accepted {
	a := &Accepted{Index: uint64(n) + 100, Note: fmt.Appendf(nil, "%s\n%d\n\n— test sig\n", origin, n)}
	a.N = n
	a.Hash = tlog.RecordHash(a.Note)
	return a
}

// sameAccepted reports whether a and b are equal.
func sameAccepted(a, b Accepted) bool {
	return a.Tree == b.Tree && a.Index == b.Index && bytes.Equal(a.Note, b.Note)
}

var errFromF = errors.New("the function's own error")

// testOriginStore checks the contract of [OriginStore] on the stores open
// returns. Each call of open must return a store on the same storage, so
// that what one stored another reads; the origins the cases use are
// distinct, so that storage may be shared with other tests.
func testOriginStore(t *testing.T, open func() OriginStore) {
	ctx := context.Background()
	prefix := fmt.Sprintf("contract-%d.example/", time.Now().UnixNano())
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s OriginStore, origin string)
	}{
		{"unknown origin", func(t *testing.T, s OriginStore, origin string) {
			if _, ok, err := s.Latest(ctx, origin); ok || err != nil {
				t.Errorf("Latest of an unknown origin: ok %v, err %v; want false, nil", ok, err)
			}
			if ev, err := s.Evidence(ctx, origin); len(ev) != 0 || err != nil {
				t.Errorf("Evidence of an unknown origin: %d, %v; want none", len(ev), err)
			}
		}},
		{"update stores, the next update sees it", func(t *testing.T, s OriginStore, origin string) {
			for n := int64(1); n <= 3; n++ {
				err := s.Update(ctx, origin, func(last Accepted, ok bool) (*Accepted, error) {
					if want := n > 1; ok != want {
						t.Errorf("update %d: ok %v, want %v", n, ok, want)
					}
					if ok && !sameAccepted(last, *testAccepted(origin, n-1)) {
						t.Errorf("update %d: last %+v, want the one stored before", n, last)
					}
					return testAccepted(origin, n), nil
				})
				if err != nil {
					t.Fatal(err)
				}
				a, ok, err := s.Latest(ctx, origin)
				if err != nil || !ok || !sameAccepted(a, *testAccepted(origin, n)) {
					t.Fatalf("Latest after update %d: %+v, %v, %v", n, a, ok, err)
				}
			}
		}},
		{"an error from f is returned as it is, nothing stored", func(t *testing.T, s OriginStore, origin string) {
			err := s.Update(ctx, origin, func(Accepted, bool) (*Accepted, error) { return testAccepted(origin, 9), errFromF })
			if err != errFromF {
				t.Errorf("Update returned %v, want f's error itself", err)
			}
			if _, ok, err := s.Latest(ctx, origin); ok || err != nil {
				t.Errorf("Latest after a failed update: ok %v, err %v; want nothing stored", ok, err)
			}
		}},
		{"a nil next keeps what was there", func(t *testing.T, s OriginStore, origin string) {
			for _, next := range []*Accepted{testAccepted(origin, 5), nil} {
				if err := s.Update(ctx, origin, func(Accepted, bool) (*Accepted, error) { return next, nil }); err != nil {
					t.Fatal(err)
				}
			}
			if a, ok, err := s.Latest(ctx, origin); err != nil || !ok || !sameAccepted(a, *testAccepted(origin, 5)) {
				t.Errorf("Latest: %+v, %v, %v; want size 5", a, ok, err)
			}
		}},
		{"another store on the same storage reads it", func(t *testing.T, s OriginStore, origin string) {
			if err := s.Update(ctx, origin, func(Accepted, bool) (*Accepted, error) { return testAccepted(origin, 7), nil }); err != nil {
				t.Fatal(err)
			}
			e := Evidence{Origin: origin, Accepted: []byte("a"), Refused: []byte("r"), Reason: "fork", Time: time.Unix(1, 2)}
			if err := s.AddEvidence(ctx, e); err != nil {
				t.Fatal(err)
			}
			s2 := open()
			defer s2.Close()
			if a, ok, err := s2.Latest(ctx, origin); err != nil || !ok || !sameAccepted(a, *testAccepted(origin, 7)) {
				t.Errorf("Latest from another store: %+v, %v, %v; want size 7", a, ok, err)
			}
			if ev, err := s2.Evidence(ctx, origin); err != nil || len(ev) != 1 || ev[0].Reason != "fork" {
				t.Errorf("Evidence from another store: %+v, %v", ev, err)
			}
		}},
		{"evidence round trips, oldest first, per origin", func(t *testing.T, s OriginStore, origin string) {
			var want []Evidence
			for i := range 3 {
				e := Evidence{
					Origin:   origin,
					Accepted: fmt.Appendf(nil, "accepted %d\n", i),
					Refused:  fmt.Appendf(nil, "refused %d\n", i),
					Reason:   fmt.Sprintf("reason %d: ü", i),
					Time:     time.Unix(1700000000+int64(i), 123456789),
				}
				for j := range i {
					e.Proof = append(e.Proof, tlog.RecordHash([]byte{byte(i), byte(j)}))
				}
				if err := s.AddEvidence(ctx, e); err != nil {
					t.Fatal(err)
				}
				want = append(want, e)
			}
			if err := s.AddEvidence(ctx, Evidence{Origin: origin + "/other", Reason: "other"}); err != nil {
				t.Fatal(err)
			}
			if other, err := s.Evidence(ctx, origin+"/other"); err != nil || len(other) != 1 || !other[0].Time.IsZero() || other[0].Reason != "other" {
				t.Errorf("evidence with the zero time: %+v, %v", other, err)
			}
			got, err := s.Evidence(ctx, origin)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("Evidence: %d items, want %d", len(got), len(want))
			}
			for i := range want {
				g, w := got[i], want[i]
				if g.Origin != w.Origin || !bytes.Equal(g.Accepted, w.Accepted) || !bytes.Equal(g.Refused, w.Refused) ||
					g.Reason != w.Reason || !g.Time.Equal(w.Time) || fmt.Sprint(g.Proof) != fmt.Sprint(w.Proof) {
					t.Errorf("evidence %d: got %+v, want %+v", i, g, w)
				}
			}
		}},
		{"origins are apart", func(t *testing.T, s OriginStore, origin string) {
			for i, o := range []string{origin + "/a", origin + "/b c", origin + "/ü%2F"} {
				if err := s.Update(ctx, o, func(Accepted, bool) (*Accepted, error) { return testAccepted(o, int64(i+1)), nil }); err != nil {
					t.Fatal(err)
				}
			}
			for i, o := range []string{origin + "/a", origin + "/b c", origin + "/ü%2F"} {
				if a, ok, err := s.Latest(ctx, o); err != nil || !ok || !sameAccepted(a, *testAccepted(o, int64(i+1))) {
					t.Errorf("Latest(%q): %+v, %v, %v", o, a, ok, err)
				}
			}
		}},
		{"concurrent updates of one origin exclude each other", func(t *testing.T, s OriginStore, origin string) {
			const goroutines, each = 8, 10
			var wg sync.WaitGroup
			for range goroutines {
				wg.Go(func() {
					for range each {
						if err := incrementOrigin(ctx, s, origin); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			if a, _, err := s.Latest(ctx, origin); err != nil || a.N != goroutines*each {
				t.Errorf("after %d increments: size %d, %v (an update was lost)", goroutines*each, a.N, err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open()
			defer s.Close()
			tc.run(t, s, prefix+tc.name)
		})
	}
}

// incrementOrigin adds one to origin's tree size, between its read and its
// write yielding the processor, so that an update that does not exclude
// another loses one.
func incrementOrigin(ctx context.Context, s OriginStore, origin string) error {
	return s.Update(ctx, origin, func(last Accepted, _ bool) (*Accepted, error) {
		time.Sleep(time.Millisecond)
		return testAccepted(origin, last.N+1), nil
	})
}

// childStores opens, in a child process of [testOriginStoreProcesses], the
// store of a kind from its argument; each store's test file adds its own.
var childStores = map[string]func(t testing.TB, arg string) OriginStore{}

// The environment of a child process of testOriginStoreProcesses.
const (
	childKindEnv  = "TW_TRAIL_TEST_CHILD_KIND"
	childArgEnv   = "TW_TRAIL_TEST_CHILD_ARG"
	childTimesEnv = "TW_TRAIL_TEST_CHILD_TIMES"
)

// childOrigin is the origin the processes of testOriginStoreProcesses
// update.
const childOrigin = "processes.example/log"

// testOriginStoreProcesses runs several processes (this test binary again,
// running the calling test) that each increment one origin's tree size
// from several goroutines through a store of kind on the storage arg
// names (see childStores), while busy goroutines oversubscribe the CPUs,
// and checks that no increment was lost: Update excludes the Updates of
// other processes.
func testOriginStoreProcesses(t *testing.T, kind, arg string) {
	const processes, goroutines, each = 4, 4, 10
	var stop atomic.Bool
	var spin sync.WaitGroup
	for range runtime.NumCPU() {
		spin.Go(func() {
			for !stop.Load() {
			}
		})
	}
	var wg sync.WaitGroup
	for i := range processes {
		cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1")
		cmd.Env = append(os.Environ(), childKindEnv+"="+kind, childArgEnv+"="+arg,
			childTimesEnv+"="+strconv.Itoa(goroutines*each), "GOMAXPROCS="+strconv.Itoa(goroutines))
		wg.Go(func() {
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("process %d: %v\n%s", i, err, out)
			}
		})
	}
	wg.Wait()
	stop.Store(true)
	spin.Wait()
	s := childStores[kind](t, arg)
	defer s.Close()
	a, ok, err := s.Latest(context.Background(), childOrigin)
	if want := int64(processes * goroutines * each); err != nil || !ok || a.N != want {
		t.Errorf("after %d increments by %d processes: size %d (ok %v, %v); an update was lost", want, processes, a.N, ok, err)
	}
}

// runOriginStoreChild runs the part of a child process of
// testOriginStoreProcesses, if this process is one, and reports whether
// it was.
func runOriginStoreChild(t *testing.T) bool {
	kind := os.Getenv(childKindEnv)
	if kind == "" {
		return false
	}
	times, _ := strconv.Atoi(os.Getenv(childTimesEnv))
	s := childStores[kind](t, os.Getenv(childArgEnv))
	defer s.Close()
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for range times / runtime.GOMAXPROCS(0) {
				if err := incrementOrigin(context.Background(), s, childOrigin); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return true
}
