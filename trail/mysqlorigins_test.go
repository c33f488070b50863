package trail

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// openMySQLOriginsT opens a mysqlOrigins on the database of dsn.
func openMySQLOriginsT(t testing.TB, dsn *mysql.Config) OriginStore {
	t.Helper()
	s, err := openMySQLOrigins(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMySQLOrigins(t *testing.T) {
	dsn := testDatabase(t)
	testOriginStore(t, func() OriginStore { return openMySQLOriginsT(t, dsn) })
}

func TestMySQLOriginsProcesses(t *testing.T) {
	if runOriginStoreChild(t) {
		return
	}
	dsn := testDatabase(t)
	testOriginStoreProcesses(t, "mysql", dsn.FormatDSN())
}

// childStores opens, in a child process of [testOriginStoreProcesses], the
// store of a kind from its argument.
var childStores = map[string]func(t testing.TB, arg string) OriginStore{
	"mysql": func(t testing.TB, arg string) OriginStore {
		dsn, err := mysql.ParseDSN(arg)
		if err != nil {
			t.Fatal(err)
		}
		return openMySQLOriginsT(t, dsn)
	},
}

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
				if err := increment(context.Background(), s, childOrigin); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	fmt.Fprintln(os.Stderr, "child done")
	return true
}
