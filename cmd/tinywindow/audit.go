package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/provider"
)

func init() {
	register(command{
		name:    "audit",
		summary: "audit verify FILE --signer URI: check an audit log's hash chain and signed checkpoints",
		run:     runAudit,
	})
}

// runAudit runs `audit verify FILE --signer URI`: exit 0 for an intact log,
// 1 naming the first bad record, 2 for any other error.
func runAudit(ctx context.Context, e *env, args []string) int {
	if len(args) > 0 && isHelpFlag(args[0]) {
		fmt.Fprintln(e.stderr, "usage: tinywindow audit verify FILE --signer URI")
		return exitOK
	}
	if len(args) == 0 || args[0] != "verify" {
		return e.errorf("audit: usage: tinywindow audit verify FILE --signer URI")
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	signer := fs.String("signer", "", "key URI of the key that signed the log's checkpoints (default $"+provider.SignerEnv+")")
	var files []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			return parseStatus(err)
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) != 1 {
		return e.errorf("audit verify: give exactly one FILE (got %d)", len(files))
	}
	uri := signerURI(*signer, "")
	if uri == "" {
		return e.errorf("audit verify: --signer URI is required")
	}
	key, err := provider.Open(ctx, uri)
	if err != nil {
		return e.errorf("audit verify: --signer: %v", err)
	}
	defer key.Close()
	keys, err := provider.NewKeyring(key)
	if err != nil {
		return e.errorf("audit verify: %v", err)
	}
	rep, err := audit.VerifyFile(ctx, files[0], keys)
	if err != nil {
		if errors.Is(err, audit.ErrCorrupt) {
			fmt.Fprintf(e.stderr, "tinywindow: audit verify %s: %v\n", files[0], err)
			return exitInvalid
		}
		return e.errorf("audit verify %s: %v", files[0], err)
	}
	fmt.Fprintf(e.stdout, "%s: intact: %d records, %d signed checkpoints, %d recoveries from a crash\n",
		files[0], rep.Records, rep.Checkpoints, rep.Recoveries)
	return exitOK
}
