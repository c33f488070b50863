package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/tinywindow/tinywindow/config"
	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/provider"
)

func init() {
	register(command{
		name:    "audit",
		summary: "audit verify|prove|check-proof: check an audit log, prove one of its records, check a proof offline",
		run:     runAudit,
	})
}

const auditUsage = `usage:
  tinywindow audit verify FILE --signer URI [--checkpoints CKFILE] [--since CHECKPOINT] [--witness KEY]...
  tinywindow audit prove FILE --record N
  tinywindow audit check-proof PROOF --verifier URI [--order-verifier URI]`

// parseInterleaved parses flags and positional arguments in any order.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// runAudit runs the audit subcommands: exit 0 for an intact log or a valid
// proof, 1 naming the first bad record (or a proof that does not hold), 2
// for any other error.
func runAudit(ctx context.Context, e *env, args []string) int {
	if len(args) > 0 && isHelpFlag(args[0]) {
		fmt.Fprintln(e.stderr, auditUsage)
		return exitOK
	}
	if len(args) == 0 {
		return e.errorf("audit: %s", auditUsage)
	}
	for _, c := range auditCommands {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	return e.errorf("audit: unknown subcommand %q\n%s", args[0], auditUsage)
}

// auditCommands are the subcommands of audit.
var auditCommands = []command{
	{name: "verify", run: runAuditVerify},
	{name: "prove", run: runAuditProve},
	{name: "check-proof", run: runAuditCheckProof},
}

// openKey opens the key uri names, returning as soon as ctx is done (the
// key, if it comes later, is closed).
func openKey(ctx context.Context, uri string) (provider.Key, error) {
	return waitFor(ctx, "opening the key", func() (provider.Key, error) {
		return provider.Open(ctx, uri)
	}, func(k provider.Key) { k.Close() })
}

func runAuditVerify(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "audit verify", "FILE --signer URI [--checkpoints CKFILE] [--since CHECKPOINT] [--witness KEY]...")
	signer := fs.String("signer", "", "key URI of the key that signed the log's checkpoints (default $"+config.SignerEnv+")")
	ckfile := fileString(fs, "checkpoints", kindCheckpoints, "checkpoints file the log must extend (FILE.checkpoints is written beside every log)")
	since := fileString(fs, "since", kindCheckpoints, "file holding one earlier signed checkpoint the log must extend")
	var witnesses stringList
	fs.Var(&witnesses, "witness", "verifier key of a witness that must have cosigned a checkpoint in --checkpoints (repeatable)")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return parseStatus(err)
	}
	if len(files) != 1 {
		return e.errorf("audit verify: give exactly one FILE (got %d)", len(files))
	}
	uri := signerURI(*signer, "")
	if uri == "" {
		return e.errorf("audit verify: --signer URI is required")
	}
	key, err := openKey(ctx, uri)
	if err != nil {
		return e.errorf("audit verify: --signer: %v", err)
	}
	defer key.Close()
	keys, err := provider.NewKeyring(key)
	if err != nil {
		return e.errorf("audit verify: %v", err)
	}
	opts := audit.VerifyOptions{Keys: keys}
	for _, p := range []string{*ckfile, *since} {
		if p == "" {
			continue
		}
		notes, err := waitFor(ctx, "reading checkpoints file "+strconv.Quote(p), func() ([][]byte, error) {
			return audit.ReadCheckpoints(p)
		}, nil)
		if errors.Is(err, audit.ErrCorrupt) {
			// Anything changed in a checkpoints file is a changed log
			// history: status 1, like a changed log.
			fmt.Fprintf(e.stderr, "tinywindow: audit verify: %v\n", err)
			return exitInvalid
		}
		if err != nil {
			return e.errorf("audit verify: %v", err)
		}
		opts.Checkpoints = append(opts.Checkpoints, notes...)
	}
	if len(witnesses) > 0 && *ckfile == "" && *since == "" {
		return e.errorf("audit verify: --witness needs --checkpoints (or --since) holding the cosigned checkpoints")
	}
	for _, w := range witnesses {
		v, err := audit.ParseWitnessKey(w)
		if err != nil {
			return e.errorf("audit verify: --witness: %v", err)
		}
		opts.Witnesses = append(opts.Witnesses, v)
	}
	f, err := openRegular(kindAuditLog, files[0])
	if err != nil {
		return e.errorf("audit verify: %v", err)
	}
	defer f.Close()
	rep, err := waitFor(ctx, "verifying audit log "+strconv.Quote(files[0]), func() (*audit.Report, error) {
		return audit.Verify(ctx, f, opts)
	}, nil)
	if err != nil {
		if errors.Is(err, audit.ErrCorrupt) {
			fmt.Fprintf(e.stderr, "tinywindow: audit verify %s: %v\n", files[0], err)
			return exitInvalid
		}
		return e.errorf("audit verify %s: %v", files[0], err)
	}
	fmt.Fprintf(e.stdout, "%s: intact: %d records, %d signed checkpoints, %d recoveries from a crash\n",
		files[0], rep.Records, rep.Checkpoints, rep.Recoveries)
	fmt.Fprintf(e.stdout, "  origin %s, tree size %d, root %s\n", rep.Origin, rep.Records-1, rep.Root)
	if rep.Anchors > 0 {
		fmt.Fprintf(e.stdout, "  extends all %d outside checkpoints\n", rep.Anchors)
	}
	if vkey, err := audit.CheckpointVerifierKey(rep.Origin, key); err == nil {
		fmt.Fprintf(e.stdout, "  checkpoint key (C2SP signed-note verifier key) %s\n", vkey)
	}
	for name, n := range rep.Witnessed {
		fmt.Fprintf(e.stdout, "  witness %s cosigned tree size %d\n", name, n)
	}
	return exitOK
}

func runAuditProve(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "audit prove", "FILE --record N")
	record := fs.String("record", "", "sequence number of the record to prove")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return parseStatus(err)
	}
	if len(files) != 1 {
		return e.errorf("audit prove: give exactly one FILE (got %d)", len(files))
	}
	n, err := strconv.ParseUint(*record, 10, 64)
	if err != nil || n == 0 {
		return e.errorf("audit prove: --record %q: give a record number from 1", *record)
	}
	p, err := waitFor(ctx, "proving record "+*record+" of audit log "+strconv.Quote(files[0]), func() (*audit.OrderProof, error) {
		return audit.ProveOrder(files[0], n)
	}, nil)
	if err != nil {
		return e.errorf("audit prove: %v", err)
	}
	e.stdout.Write(p.Marshal())
	return exitOK
}

func runAuditCheckProof(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "audit check-proof", "PROOF --verifier URI [--order-verifier URI]")
	verifier := fs.String("verifier", "", "key URI of the log's checkpoint key (a public key is enough)")
	orderVerifier := fs.String("order-verifier", "", "key URI of the order key (a public key is enough): also check the order's signature, or its batch's")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return parseStatus(err)
	}
	if len(files) != 1 || *verifier == "" {
		return e.errorf("audit check-proof: give one PROOF file and --verifier URI")
	}
	b, err := readFile(ctx, kindProof, files[0])
	if err != nil {
		return e.errorf("audit check-proof: %v", err)
	}
	p, err := audit.ParseOrderProof(b)
	if err != nil {
		fmt.Fprintf(e.stderr, "tinywindow: audit check-proof %s: %v\n", files[0], err)
		return exitInvalid
	}
	key, err := openKey(ctx, *verifier)
	if err != nil {
		return e.errorf("audit check-proof: --verifier: %v", err)
	}
	defer key.Close()
	vs, err := audit.CheckpointVerifiers(audit.CheckpointOrigin(p.Record.Checkpoint), []provider.Verifier{key})
	if err != nil {
		return e.errorf("audit check-proof: %v", err)
	}
	var orderKeys *provider.Keyring
	if *orderVerifier != "" {
		ok, err := openKey(ctx, *orderVerifier)
		if err != nil {
			return e.errorf("audit check-proof: --order-verifier: %v", err)
		}
		defer ok.Close()
		if orderKeys, err = provider.NewKeyring(ok); err != nil {
			return e.errorf("audit check-proof: --order-verifier: %v", err)
		}
	}
	rec, c, err := p.Check(ctx, vs, orderKeys)
	if err != nil {
		if errors.Is(err, audit.ErrCorrupt) || errors.Is(err, audit.ErrOrderNotSigned) {
			fmt.Fprintf(e.stderr, "tinywindow: audit check-proof %s: %v\n", files[0], err)
			return exitInvalid
		}
		return e.errorf("audit check-proof %s: %v", files[0], err)
	}
	fmt.Fprintf(e.stdout, "record %d (%s, time %s, %d-byte payload) is in log %s at tree size %d, root %s\n",
		rec.Seq, rec.Type, time.Unix(0, rec.Time).UTC().Format(time.RFC3339Nano), len(rec.Payload), c.Origin, c.N, c.Hash)
	switch {
	case p.Batch != nil && orderKeys != nil:
		fmt.Fprintf(e.stdout, "the order is a leaf of the batch in record %d, whose signature by the order key verifies\n", p.Batch.Seq)
	case p.Batch != nil:
		fmt.Fprintf(e.stdout, "the order is a leaf of the batch in record %d; its signature was not checked (--order-verifier)\n", p.Batch.Seq)
	case orderKeys != nil && rec.Type == audit.TypeOrder:
		fmt.Fprintf(e.stdout, "the order's signature by the order key verifies\n")
	}
	return exitOK
}
