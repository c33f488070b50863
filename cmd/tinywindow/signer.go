package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/tinywindow/tinywindow/config"
	"github.com/tinywindow/tinywindow/internal/regularfile"
	"github.com/tinywindow/tinywindow/provider"
)

// maxInput bounds a message read by sign and verify: 16 MiB. A larger
// message is refused rather than read into memory (no more than one byte
// past the limit is read); sign its digest instead.
const maxInput = 16 << 20

// signerFlags are the flags shared by the subcommands that use a key.
type signerFlags struct {
	signer string
	config string
	// resolved is the URI open last opened, backend options of the config
	// file included.
	resolved *provider.URI
}

func (f *signerFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&f.signer, "signer", "", "key URI (overrides "+config.SignerEnv+" and the config file)")
	fileVar(fs, &f.config, "config", kindConfig, "YAML config file holding the signer URI and backend options")
}

// uri returns the signer URI as given, for reports: the flag, else the
// environment variable, else the config file's path.
func (f *signerFlags) uri() string {
	switch {
	case f.signer != "":
		return f.signer
	case os.Getenv(config.SignerEnv) != "":
		return os.Getenv(config.SignerEnv)
	case f.config != "":
		return "config:" + f.config
	}
	return ""
}

// open opens the key that the flags, the environment and the config file
// name. It returns as soon as ctx is done (a signal), even if the backend
// does not: the key, if it comes later, is closed.
func (f *signerFlags) open(ctx context.Context) (provider.Key, error) {
	return waitFor(ctx, "opening the key", func() (provider.Key, error) {
		var cfg *config.Config
		if f.config != "" {
			var err error
			if cfg, err = config.Load(f.config); err != nil {
				return nil, err
			}
		}
		u, err := config.ResolveSigner(f.signer, cfg)
		if err != nil {
			return nil, err
		}
		f.resolved = u
		return provider.OpenURI(ctx, u)
	}, func(k provider.Key) { k.Close() })
}

// newFlagSet returns a flag set that reports errors to e.stderr.
// Every subcommand makes its flags through it, and e.flagSets, if not nil,
// gets each one: the test that walks every file-taking flag of every
// subcommand finds them there.
func newFlagSet(e *env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: tinywindow %s %s\n", name, usage)
		if h, ok := help[name]; ok {
			fmt.Fprintf(e.stderr, "\n%s\n\nexample:\n  %s\n\nflags:\n", h.what, h.example)
		}
		fs.PrintDefaults()
	}
	if e.flagSets != nil {
		e.flagSets(fs)
	}
	return fs
}

// parseFlags parses args and refuses positional arguments. It returns false
// (after printing why) when the command should stop; code is then its status.
func parseFlags(fs *flag.FlagSet, args []string) (ok bool, code int) {
	if err := fs.Parse(args); err != nil {
		return false, parseStatus(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "tinywindow %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return false, exitError
	}
	return true, exitOK
}

// parseStatus is the exit status of a command whose flags did not parse:
// 0 for -h or --help (the flag package has printed the usage), 2 for a
// flag error. Every subcommand answers help the same way through it.
func parseStatus(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitError
}

// isHelpFlag reports whether arg asks for help the way the flag package
// understands it, for subcommands that look at an argument before parsing
// flags.
func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "--h", "-help", "--help":
		return true
	}
	return false
}

// readInput reads the message from path (a file of kindMessage: it may be
// a pipe, as with --in <(cmd)), or from stdin when path is empty or "-",
// refusing more than maxInput bytes. It returns as soon as ctx is done (a
// signal), even while standard input stays open with nothing to read.
func readInput(ctx context.Context, e *env, path string) ([]byte, error) {
	var data []byte
	var err error
	if path != "" && path != "-" {
		data, err = readFile(ctx, kindMessage, path)
	} else {
		data, err = waitFor(ctx, "reading standard input", func() ([]byte, error) {
			b, err := regularfile.ReadLimited(e.stdin, -1, maxInput)
			if err != nil {
				return nil, fmt.Errorf("standard input: %w", err)
			}
			return b, nil
		}, nil)
	}
	if errors.Is(err, regularfile.ErrTooLarge) {
		return nil, fmt.Errorf("%w; sign a digest of it instead", err)
	}
	return data, err
}

// waitFor runs f and returns its result, or an error as soon as ctx is done
// (SIGINT or SIGTERM), whichever comes first: every wait of the command
// line, on standard input, a file, a secret or the network, ends on a
// signal. If ctx wins, f keeps running in the background and discard, if
// not nil, gets its result; the process is about to exit.
func waitFor[T any](ctx context.Context, what string, f func() (T, error), discard func(T)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.err == nil && discard != nil {
				discard(r.v)
			}
		}()
		var zero T
		return zero, fmt.Errorf("%s: stopped: %w", what, context.Cause(ctx))
	}
}

// pathless returns the cause of a *fs.PathError, whose path is already
// named (quoted) by the caller.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// decodeHex decodes a signature given in hex, ignoring surrounding white
// space.
func decodeHex(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("empty signature: pass the hex printed by tinywindow sign")
	}
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("signature has an odd number of hex digits (%d): pass the hex printed by tinywindow sign", len(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("signature is not hex (%v): pass the hex printed by tinywindow sign", err)
	}
	return b, nil
}

// isSet reports whether the named flag was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			found = true
		}
	})
	return found
}
