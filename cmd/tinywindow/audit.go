package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tinywindow/tinywindow/config"
	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/trail/s3export"
)

func init() {
	register(command{
		name:    "audit",
		summary: "audit verify|prove|check-proof|export: check an audit log, prove one of its records, check a proof offline, export the log as C2SP tlog-tiles",
		run:     runAudit,
	})
}

const auditUsage = `usage:
  tinywindow audit verify FILE --signer URI [--checkpoints CKFILE] [--since CHECKPOINT] [--witness KEY]... [--max-clock-error D]
  tinywindow audit prove FILE --record N
  tinywindow audit check-proof PROOF --verifier URI [--order-verifier URI]
  tinywindow audit export FILE --to DIR|s3://BUCKET/PREFIX?endpoint=URL [--json]`

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
	{name: "export", run: runAuditExport},
}

// openKey opens the key uri names, returning as soon as ctx is done (the
// key, if it comes later, is closed).
func openKey(ctx context.Context, uri string) (provider.Key, error) {
	return waitFor(ctx, "opening the key", func() (provider.Key, error) {
		return provider.Open(ctx, uri)
	}, func(k provider.Key) { k.Close() })
}

func runAuditVerify(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "audit verify", "FILE --signer URI [--checkpoints CKFILE] [--since CHECKPOINT] [--witness KEY]... [--max-clock-error D]")
	signer := fs.String("signer", "", "key URI of the key that signed the log's checkpoints (default $"+config.SignerEnv+")")
	ckfile := fileString(fs, "checkpoints", kindCheckpoints, "checkpoints file the log must extend (FILE.checkpoints is written beside every log)")
	since := fileString(fs, "since", kindCheckpoints, "file holding one earlier signed checkpoint the log must extend")
	var witnesses stringList
	fs.Var(&witnesses, "witness", "verifier key of a witness that must have cosigned a checkpoint in --checkpoints (repeatable)")
	maxClockError := fs.Duration("max-clock-error", 0, "fail the log unless every checkpoint states a synchronised clock with at most this maximum error, such as 50ms or 100us (default: no bound)")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return parseStatus(err)
	}
	if *maxClockError < 0 {
		return e.errorf("audit verify: --max-clock-error %v: give a positive duration such as 50ms or 100us", *maxClockError)
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
	opts := audit.VerifyOptions{Keys: keys, MaxClockError: *maxClockError}
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
		if errors.Is(err, audit.ErrClockEvidence) {
			// The log is intact; its clock evidence fails the bound.
			fmt.Fprintf(e.stderr, "tinywindow: audit verify %s: %v (--max-clock-error %v); the log is intact: the host that wrote it must keep its clock synchronised (chrony, ntpd or PTP) within the bound\n", files[0], err, *maxClockError)
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
	for _, k := range rep.Kills {
		fmt.Fprintf(e.stdout, "  %s %v\n", k.Time.Format(time.RFC3339Nano), k)
	}
	for name, n := range rep.Witnessed {
		fmt.Fprintf(e.stdout, "  witness %s cosigned tree size %d\n", name, n)
	}
	printClockSummary(e.stdout, rep.Clock, *maxClockError)
	return exitOK
}

// printClockSummary prints what the checkpoints' clock lines state: how
// many show each clock state, the largest maximum error of a synchronised
// clock, the first unsynchronised checkpoint and the time sources named.
func printClockSummary(w io.Writer, c audit.ClockSummary, bound time.Duration) {
	fmt.Fprintf(w, "  clock: %d checkpoints synchronised", c.Synced)
	if c.Synced > 0 {
		fmt.Fprintf(w, " (largest maximum error %v, record %d)", c.MaxError, c.MaxErrorRecord)
	}
	fmt.Fprintf(w, ", %d unsynchronised", c.Unsynced)
	if c.Unsynced > 0 {
		fmt.Fprintf(w, " (first: record %d)", c.FirstUnsynced)
	}
	fmt.Fprintf(w, ", %d unknown, %d without a clock line", c.Unknown, c.Absent)
	if len(c.Sources) > 0 {
		fmt.Fprintf(w, "; time source %s", strings.Join(c.Sources, ", "))
	}
	fmt.Fprintln(w)
	if bound > 0 {
		fmt.Fprintf(w, "  clock: every checkpoint synchronised within --max-clock-error %v\n", bound)
	}
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
	fmt.Fprintf(e.stdout, "  the checkpoint (time %s) states the clock %v\n", time.Unix(0, c.Time).UTC().Format(time.RFC3339Nano), c.Clock)
	var env venue.Envelope
	if rec.Type == audit.TypeOrder && venue.ParseEnvelope(rec.Payload, &env) == nil && env.Limits != nil {
		fmt.Fprintf(e.stdout, "  the signer approved the order under the pre-trade limits of SHA-256 %x\n", env.Limits)
	}
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

func runAuditExport(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "audit export", "FILE --to DIR|s3://BUCKET/PREFIX?endpoint=URL&region=R [--json]")
	to := fs.String("to", "", "directory to write the C2SP tlog-tiles log to (created if missing; a directory exported before gets what is new), or an S3 location s3://BUCKET/PREFIX?endpoint=URL&region=R (path-style; credentials from the AWS environment)")
	asJSON := fs.Bool("json", false, "print the result as JSON, with the time taken")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return parseStatus(err)
	}
	if len(files) != 1 {
		return e.errorf("audit export: give exactly one FILE (got %d)", len(files))
	}
	start := time.Now()
	var target audit.ExportTarget
	fresh := "a new directory" // what to export to, to start over
	switch {
	case *to == "":
		return e.errorf("audit export: --to DIR or --to s3://BUCKET/PREFIX is required")
	case strings.HasPrefix(*to, "s3://"):
		t, err := s3export.Open(ctx, *to)
		if err != nil {
			return e.errorf("audit export: --to: %v", err)
		}
		target, fresh = t, "a new prefix"
	case strings.Contains(*to, "://"):
		return e.errorf("audit export: --to %q: give a directory path or an S3 location s3://BUCKET/PREFIX?endpoint=URL", *to)
	default:
		t, err := audit.OpenDirTarget(*to)
		if err != nil {
			return e.errorf("audit export: %v", err)
		}
		defer t.Close()
		target = t
	}
	rep, err := audit.Export(ctx, files[0], target, audit.ExportOptions{})
	var conflict *audit.ExportConflictError
	switch {
	case errors.As(err, &conflict):
		return e.errorf("%v\n  %s is not an export of this log as it stands: export to %s to start over, and keep the old one as evidence", err, *to, fresh)
	case errors.Is(err, audit.ErrCorrupt):
		return e.errorf("audit export %s: %v\n  run tinywindow audit verify %s --signer URI for the whole report", files[0], err, files[0])
	case err != nil:
		return e.errorf("audit export %s: %v", files[0], err)
	}
	elapsed := time.Since(start)
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(struct {
			*audit.ExportReport
			Dir     string  `json:"dir"`
			Seconds float64 `json:"seconds"`
		}{rep, *to, elapsed.Seconds()})
		return exitOK
	}
	fmt.Fprintf(e.stdout, "%s: exported log %s to %s: tree size %d (the export had %d)\n", files[0], rep.Origin, *to, rep.Size, rep.Previous)
	fmt.Fprintf(e.stdout, "  %d files written (%d bytes), %d kept as they were\n", rep.Written, rep.Bytes, rep.Kept)
	if rep.Restored > 0 {
		fmt.Fprintf(e.stdout, "  %d files of the earlier export were missing and were written again\n", rep.Restored)
	}
	return exitOK
}
