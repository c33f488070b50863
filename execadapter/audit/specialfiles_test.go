package audit

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOpenRefusesNamedPipes: a named pipe where the writer keeps a file of
// its own (the log, its checkpoints file, the hashes and index files it
// rebuilds) is refused at once, whether the log is new or reopened; the
// writer never waits on one for a reader or a writer that will not come.
func TestOpenRefusesNamedPipes(t *testing.T) {
	for _, suffix := range []string{"", ".checkpoints", ".hashes.tmp", ".idx.tmp"} {
		for _, existing := range []bool{false, true} {
			name := "log" + suffix
			if existing {
				name += ", reopened"
			}
			t.Run(name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "audit.log")
				if existing {
					writeLog(t, path, Always, 5)
					os.Remove(path + suffix)
				}
				if err := syscall.Mkfifo(path+suffix, 0o600); err != nil {
					t.Fatal(err)
				}
				k, _ := key(t, 42)
				done := make(chan error, 1)
				go func() {
					w, _, err := Open(path, Options{Signer: k, Durability: Always})
					if err == nil {
						w.Close()
					}
					done <- err
				}()
				select {
				case err := <-done:
					if err == nil || !strings.Contains(err.Error(), "named pipe") {
						t.Fatalf("Open with a named pipe at %s: %v, want a refusal naming it", suffix, err)
					}
				case <-time.After(time.Minute):
					t.Fatalf("Open waited on a named pipe at %q for a minute", suffix)
				}
			})
		}
	}
}
