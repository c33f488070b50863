// Command tinywindow signs and verifies with any TinyWindow backend, benchmarks
// and audits keys, and runs the execution adapter's demo.
//
// Usage:
//
//	tinywindow keygen --seed N                 the MVP key for seed N, as hex
//	tinywindow sign --signer URI [--in FILE]   the signature of stdin or FILE, as hex
//	tinywindow verify --signer URI --sig HEX [--in FILE]
//	tinywindow pubkey --signer URI             the public key as PEM
//	tinywindow csr --signer URI --subject DN [--dns NAME]... --out FILE.csr
//	tinywindow cert --signer URI --subject DN [--dns NAME]... [--days N]
//	    [--ca-signer URI --ca-cert FILE] [--client|--server|--ca] --out FILE.pem
//	tinywindow providers [--json]              registered schemes and algorithms, FIPS 140-3 mode
//	tinywindow bench --signer URI [--size 64] [--duration 5s] [--concurrency N] [--json]
//	tinywindow conformance --signer URI [--report FILE.json] [--markdown FILE.md]
//	tinywindow demo [--orders N] [--signer URI] [--venue tcp://HOST:PORT] [--audit FILE] [--no-audit] [--json]
//	tinywindow venue --listen 127.0.0.1:PORT --verifier URI
//	tinywindow audit verify FILE --signer URI [--checkpoints CKFILE] [--since CHECKPOINT] [--witness KEY]...
//	tinywindow audit prove FILE --record N
//	tinywindow audit check-proof PROOF --verifier URI
//	tinywindow serve --config FILE [--insecure-loopback]
//	tinywindow version [--json]                module version, commit, Go version, FIPS 140-3 mode
//	tinywindow --version                       the same as tinywindow version
//
// Every subcommand exits 0 on success and 2 on error, with a message on
// stderr; verify exits 1 for a signature that is invalid, audit verify 1
// for a log or a checkpoints file that was tampered with or cut, and audit
// check-proof 1 for a proof that does not hold. -h or --help prints the
// usage on stderr and exits 0, for the tool and every subcommand. SIGINT or
// SIGTERM ends any wait (standard input, a file, a named pipe, a secret, the
// network) at once with status 2; serve and venue take them as the order to
// shut down. Every file is read through one reader, with a size cap per
// kind of file (see fileKind).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

// Exit statuses shared by every subcommand.
const (
	exitOK      = 0
	exitInvalid = 1 // verify: the signature is invalid
	exitError   = 2 // anything else that went wrong
)

// command is one subcommand. run gets the arguments after the subcommand's
// name and returns the exit status.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) int
}

// env is what a subcommand may touch of the outside world, so tests can run
// subcommands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// flagSets, if not nil, gets every flag set a subcommand makes
	// (newFlagSet), before it parses its arguments.
	flagSets func(*flag.FlagSet)
}

// errorf prints "tinywindow: " and the message on stderr, followed by the
// [remedies] of the errors among args, and returns exitError.
func (e *env) errorf(format string, args ...any) int {
	fmt.Fprintf(e.stderr, "tinywindow: %s%s\n", fmt.Sprintf(format, args...), remedies(args))
	return exitError
}

var commands []command

// register adds a subcommand. Each subcommand's file registers itself from an
// init function.
func register(c command) {
	if slices.ContainsFunc(commands, func(o command) bool { return o.name == c.name }) {
		panic("tinywindow: subcommand registered twice: " + c.name)
	}
	commands = append(commands, c)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runMain(ctx, &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}

func runMain(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || isHelpFlag(args[0]) || args[0] == "help" {
		usage(e.stderr)
		if len(args) == 0 {
			return exitError
		}
		return exitOK
	}
	if args[0] == "--version" || args[0] == "-version" {
		args = append([]string{"version"}, args[1:]...)
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	e.errorf("unknown subcommand %q; run tinywindow help for the list", args[0])
	return exitError
}

func usage(w io.Writer) {
	slices.SortFunc(commands, func(a, b command) int { return strings.Compare(a.name, b.name) })
	fmt.Fprintln(w, "usage: tinywindow <subcommand> [flags]\n\nsubcommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun tinywindow <subcommand> -h for its flags. Exit status: 0 success, 2 error; verify: 1 invalid signature.")
}
