package audit

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/internal/recordfile"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

const secondWriterEnv = "TW_AUDIT_SECOND_WRITER"

// secondWriter opens the log at path, prints the error and exits 3 if it
// fails, else closes it and exits 0: the second process of
// TestSecondWriterRefused.
func secondWriter(path string) {
	w, _, err := Open(path, Options{Signer: hmac.NewFromSeed(42)})
	if err != nil {
		fmt.Println(err)
		os.Exit(3)
	}
	w.Close()
	os.Exit(0)
}

// TestSecondWriterRefused: while a writer holds a log, a second writer, in
// the same process or another, is refused at once with an error naming the
// holder, and the log is left as it was; once the first closes, the log
// opens again. Two writers on one log once both acknowledged every record
// and left the log corrupt.
func TestSecondWriterRefused(t *testing.T) {
	k, _ := key(t, 42)
	path := filepath.Join(t.TempDir(), "audit.log")
	w, _, err := Open(path, Options{Signer: k, Durability: Always})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(TypeNote, 1, []byte("first")); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	holder := fmt.Sprintf("held by process %d", os.Getpid())
	var locked *recordfile.LockedError
	if _, _, err := Open(path, Options{Signer: k}); !errors.As(err, &locked) || !strings.Contains(err.Error(), holder) || !strings.Contains(err.Error(), path) {
		t.Fatalf("second writer in this process: %v; want it refused naming the log and %q", err, holder)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), secondWriterEnv+"="+path)
	out, err := cmd.Output()
	if code := cmd.ProcessState.ExitCode(); code != 3 || !strings.Contains(string(out), holder) {
		t.Fatalf("second writer process: exit %d (%v), %q; want 3 and %q", code, err, out, holder)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatal("a refused writer changed the log")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), secondWriterEnv+"="+path)
	if out, err := cmd.Output(); err != nil {
		t.Fatalf("after Close, another process cannot open the log: %v %s", err, out)
	}
}

// TestOpenSyncsDirectory: creating a log fsyncs its directory once the log
// and its checkpoints file exist, so that a crash right after Open cannot
// lose the files themselves (the hashes and index files are derived and
// rebuilt by Open, and not synced). The hook shows that the directory is
// synced after each file exists (not that the disk kept it, which takes a
// power cut to show).
func TestOpenSyncsDirectory(t *testing.T) {
	k, _ := key(t, 42)
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	files := []string{path, path + ".checkpoints"}
	var seen []string // the files that existed at each sync of dir
	defer recordfile.SetSyncDirHook(func(d string) {
		if d != dir {
			return
		}
		for _, f := range files {
			if _, err := os.Stat(f); err == nil && !slices.Contains(seen, f) {
				seen = append(seen, f)
			}
		}
	})()
	w, _, err := Open(path, Options{Signer: k})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	for _, f := range files {
		if !slices.Contains(seen, f) {
			t.Errorf("the directory was not synced after %s was created (synced with %q)", filepath.Base(f), seen)
		}
	}
}

// TestOpenRefusesSharedWritable: a log, checkpoints file or directory that
// group or others can write is refused, and the error says chmod.
func TestOpenRefusesSharedWritable(t *testing.T) {
	k, _ := key(t, 42)
	tests := []struct {
		name  string
		chmod func(dir, path string)
		ok    bool
	}{
		{"private", func(dir, path string) {}, true},
		{"others read", func(dir, path string) { os.Chmod(dir, 0o755); os.Chmod(path, 0o644) }, true},
		{"directory 0777", func(dir, path string) { os.Chmod(dir, 0o777) }, false},
		{"directory 0775", func(dir, path string) { os.Chmod(dir, 0o775) }, false},
		{"directory 1777", func(dir, path string) { os.Chmod(dir, 0o1777) }, false},
		{"log 0666", func(dir, path string) { os.Chmod(path, 0o666) }, false},
		{"log 0620", func(dir, path string) { os.Chmod(path, 0o620) }, false},
		{"checkpoints 0662", func(dir, path string) { os.Chmod(path+".checkpoints", 0o662) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "logs")
			os.Mkdir(dir, 0o700)
			path := filepath.Join(dir, "audit.log")
			writeLog(t, path, Always, 3)
			tt.chmod(dir, path)
			before, _ := os.ReadFile(path)
			w, _, err := Open(path, Options{Signer: k})
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				w.Close()
				return
			}
			var me *recordfile.ModeError
			if !errors.As(err, &me) || !strings.Contains(err.Error(), "chmod go-w") {
				t.Fatalf("got %v; want the log refused, saying chmod", err)
			}
			if after, _ := os.ReadFile(path); string(after) != string(before) {
				t.Fatal("a refused log was changed")
			}
		})
	}
}
