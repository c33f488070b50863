package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/tinywindow/tinywindow/config"
	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/risk"
	"github.com/tinywindow/tinywindow/internal/regularfile"
)

// fileKind is a kind of file the command line reads: its name in messages,
// the most bytes it reads of one, and whether it may be a pipe.
//
// Every file is opened without blocking and judged on the opened
// descriptor. A file of a kind that is not a stream must be a regular file:
// a named pipe, a device, a socket or a directory is refused at once, with
// an error quoting its path. A stream (a message, which --in <(cmd) or
// /dev/stdin gives as a pipe) may be anything but a directory; a named pipe
// is waited on until its writer has written and closed it, and the wait
// ends on SIGINT or SIGTERM like every other. No kind is read past its
// limit: one byte more than the limit is the most read, and the file is
// then refused.
//
// An output file (output set) is written, not read: it is created without
// blocking, and must be a regular file or a device such as /dev/null; a
// named pipe, a socket or a directory is refused at once.
type fileKind struct {
	name   string
	limit  int64 // 0 for a file read piece by piece (an audit log), not whole
	stream bool
	output bool
}

// The kinds of file the command line reads, with their limits. Those read
// by a package of their own (a key config by config.Load, a service config
// by service.LoadConfig, pre-trade limits by risk.LoadConfig, an audit log's
// index by audit.Prove) go through the same reader,
// internal/regularfile, with the limit their package states.
var (
	kindMessage         = &fileKind{name: "message", limit: maxInput, stream: true}
	kindProof           = &fileKind{name: "proof", limit: audit.MaxProofSize}
	kindCheckpoints     = &fileKind{name: "checkpoints file", limit: audit.MaxCheckpointsSize}
	kindCert            = &fileKind{name: "certificate", limit: maxCertFile}
	kindConfig          = &fileKind{name: "config file", limit: config.MaxSize}
	kindLimits          = &fileKind{name: "limits file", limit: risk.MaxConfigSize}
	kindServeConfig     = &fileKind{name: "service config", limit: 1 << 20}
	kindAuditLog        = &fileKind{name: "audit log"}
	kindReportIn        = &fileKind{name: "report", limit: conformance.MaxReportSize}
	kindReportSignature = &fileKind{name: "report signature", limit: conformance.MaxSignatureFile}

	kindReport   = &fileKind{name: "report", output: true}
	kindProfile  = &fileKind{name: "profile", output: true}
	kindNewFile  = &fileKind{name: "output file", output: true} // created with O_EXCL: an existing path is refused
	kindAuditOut = &fileKind{name: "audit file", output: true}  // opened by the audit log's writer
)

// fileFlag is a flag that names a file the command reads. Its type marks
// the flag: the test that walks every file-taking flag of every subcommand
// finds them by it.
type fileFlag struct {
	kind *fileKind
	path *string
}

func (f fileFlag) String() string {
	if f.path == nil {
		return ""
	}
	return *f.path
}

func (f fileFlag) Set(s string) error { *f.path = s; return nil }

// fileVar defines a flag naming a file of the given kind, stored in *p.
func fileVar(fs *flag.FlagSet, p *string, name string, kind *fileKind, usage string) {
	fs.Var(fileFlag{kind: kind, path: p}, name, usage)
}

// fileString defines a flag naming a file of the given kind and returns
// where its value is stored.
func fileString(fs *flag.FlagSet, name string, kind *fileKind, usage string) *string {
	p := new(string)
	fileVar(fs, p, name, kind, usage)
	return p
}

// readFile reads the file of the given kind at path whole, within the
// kind's limit (see fileKind), and returns as soon as ctx is done (SIGINT or
// SIGTERM), whatever the file does. Errors name the kind and quote the path.
func readFile(ctx context.Context, kind *fileKind, path string) ([]byte, error) {
	what := kind.name + " " + strconv.Quote(path)
	return waitFor(ctx, "reading "+what, func() ([]byte, error) {
		var b []byte
		var err error
		if kind.stream {
			b, err = readStream(ctx, path, kind.limit)
		} else {
			b, err = regularfile.ReadFile(path, kind.limit)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		return b, nil
	}, nil)
}

// openRegular opens the file of the given kind at path for reading piece by
// piece: it must be a regular file, refused at once otherwise.
func openRegular(kind *fileKind, path string) (*os.File, error) {
	f, _, err := regularfile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", kind.name, path, err)
	}
	return f, nil
}

// readStream reads the file at path, which may be anything but a directory,
// refusing more than limit bytes. A read that waits on a pipe ends when ctx
// is done.
func readStream(ctx context.Context, path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, pathless(err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, pathless(err)
	}
	switch {
	case st.IsDir():
		f.Close()
		return nil, fmt.Errorf("it is a directory; give a file, or - for standard input")
	case st.Mode()&fs.ModeNamedPipe != 0:
		// Opened without blocking, a named pipe reads as empty until a
		// writer opens it: open it again, waiting for a writer, and check
		// that it is still the same pipe.
		f.Close()
		if f, err = os.Open(path); err != nil {
			return nil, pathless(err)
		}
		again, err := f.Stat()
		if err != nil || !os.SameFile(st, again) {
			f.Close()
			return nil, fmt.Errorf("the named pipe was replaced while it was opened")
		}
	}
	defer f.Close()
	// A read waiting on a pipe or a terminal returns once ctx is done
	// (regular files ignore the deadline: their reads do not wait).
	stop := context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Now()) })
	defer stop()
	size := int64(-1)
	if st.Mode().IsRegular() {
		size = st.Size()
	}
	return regularfile.ReadLimited(f, size, limit)
}

// createFile creates or truncates the output file of the given kind at
// path, without blocking: a named pipe (which would wait for a reader), a
// socket or a directory is refused at once; a regular file or a device
// (/dev/null) is opened for writing.
func createFile(kind *fileKind, path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NONBLOCK, 0o644)
	if errors.Is(err, syscall.ENXIO) {
		return nil, fmt.Errorf("%s %q: %w: it is a named pipe (FIFO); give the path of a regular file", kind.name, path, regularfile.ErrNotRegular)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", kind.name, path, pathless(err))
	}
	if err := checkOutput(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s %q: %w", kind.name, path, err)
	}
	return f, nil
}

// checkExistingOutput refuses, at once, an output path that exists and is
// neither a regular file nor a device, for a file that another package
// opens (the audit log's writer): a named pipe there would make it wait.
func checkExistingOutput(kind *fileKind, path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return nil // missing: it will be created; other errors come from the opener
	}
	if st.Mode()&fs.ModeCharDevice != 0 {
		return nil
	}
	if err := regularfile.Check(st); err != nil {
		return fmt.Errorf("%s %q: %w", kind.name, path, err)
	}
	return nil
}

func checkOutput(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return pathless(err)
	}
	if st.Mode()&fs.ModeCharDevice != 0 {
		return nil
	}
	return regularfile.Check(st)
}
