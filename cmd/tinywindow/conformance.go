package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
)

func init() {
	register(command{name: "conformance", summary: "run the conformance suite against a key; write JSON and Markdown reports", run: runConformance})
}

func runConformance(ctx context.Context, e *env, args []string) int {
	if len(args) > 0 && args[0] == "verify-report" {
		return runVerifyReport(ctx, e, args[1:])
	}
	fs := newFlagSet(e, "conformance", "--signer URI [--other URI] [--report FILE.json] [--markdown FILE.md] [--sign-with URI]")
	var sf signerFlags
	sf.add(fs)
	other := fs.String("other", "", "URI of a second key of the same algorithm, for the other-key check (skipped without it)")
	jsonPath := fileString(fs, "report", kindReport, "write the report as JSON to FILE")
	mdPath := fileString(fs, "markdown", kindReport, "write the report as Markdown to FILE")
	goroutines := fs.Int("goroutines", 64, "goroutines of the concurrency check")
	ops := fs.Int("ops", 8, "sign and verify pairs per goroutine in the concurrency check")
	signWith := fs.String("sign-with", "", "key URI to sign each report with: writes FILE.sig beside it (see conformance verify-report)")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	if *goroutines < 1 || *ops < 1 {
		return e.errorf("conformance: --goroutines and --ops must be at least 1")
	}
	if *signWith != "" && *jsonPath == "" && *mdPath == "" {
		return e.errorf("conformance: --sign-with signs the report files: give --report FILE.json or --markdown FILE.md")
	}
	// Resolve the URI once, config options included, for the report.
	probe, err := sf.open(ctx)
	if err != nil {
		return e.errorf("conformance: opening the key under test: %v", err)
	}
	probe.Close()
	subject := conformance.Subject{
		URI:             sf.resolved.String(),
		Open:            func(ctx context.Context) (provider.Key, error) { return sf.open(ctx) },
		Goroutines:      *goroutines,
		OpsPerGoroutine: *ops,
	}
	if *other != "" {
		subject.Other = conformance.OpenURI(*other)
	}
	rep, err := conformance.Run(ctx, subject)
	if err != nil {
		return e.errorf("conformance: %v", err)
	}
	var signer provider.Key
	if *signWith != "" {
		if signer, err = openKey(ctx, *signWith); err != nil {
			return e.errorf("conformance: --sign-with: %v", err)
		}
		defer signer.Close()
	}
	for _, w := range []struct {
		path, format string
		write        func(w io.Writer) error
	}{
		{*jsonPath, conformance.FormatJSON, rep.WriteJSON},
		{*mdPath, conformance.FormatMarkdown, rep.WriteMarkdown},
	} {
		if w.path == "" {
			continue
		}
		var b bytes.Buffer
		if err := w.write(&b); err != nil {
			return e.errorf("conformance: %v", err)
		}
		if err := writeFile(w.path, b.Bytes()); err != nil {
			return e.errorf("conformance: %v", err)
		}
		if signer == nil {
			continue
		}
		sig, err := conformance.SignReport(ctx, signer, w.format, b.Bytes())
		if err != nil {
			return e.errorf("conformance: %s: %v", w.path, err)
		}
		text, err := sig.MarshalText()
		if err != nil {
			return e.errorf("conformance: %s: %v", w.path, err)
		}
		if err := writeFile(w.path+".sig", text); err != nil {
			return e.errorf("conformance: %v", err)
		}
	}
	fmt.Fprintf(e.stdout, "%s key %s (%s): conformance suite v%s\n", rep.Backend, rep.KeyID, rep.Algorithm, rep.SuiteVersion)
	fmt.Fprintf(e.stdout, "signer %s, verify mode %s, build %s\n", rep.Signer, orUnknown(rep.VerifyMode), orUnknown(rep.Build.Revision))
	for _, c := range rep.Checks {
		line := fmt.Sprintf("  %-4s %-26s %v", c.Status, c.Name, c.Duration.Round(1000))
		if c.Reason != "" {
			line += "  " + c.Reason
		}
		fmt.Fprintln(e.stdout, line)
	}
	fmt.Fprintf(e.stdout, "%d passed, %d failed, %d skipped\n", rep.Passed, rep.Failed, rep.Skipped)
	for _, f := range rep.Findings {
		fmt.Fprintf(e.stdout, "%s: %s: %s\n", strings.ToUpper(string(f.Level)), f.Finding, f.Reason)
	}
	if !rep.OK() {
		return e.errorf("conformance: %d check(s) failed", rep.Failed)
	}
	return exitOK
}

// writeFile creates path and writes data to it, reporting any error of the
// write or the close.
func writeFile(path string, data []byte) error {
	f, err := createFile(kindReport, path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %q: %w", path, pathless(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %q: %w", path, pathless(err))
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// runVerifyReport checks a signed report: exit 0 when the key signed this
// very report and its schema is known; 1 when it did not (edited after
// signing, another report's signature, another key); 2 when it could not
// tell (unreadable files, a malformed signature file, a key that cannot
// verify, a report of an unknown schema version).
func runVerifyReport(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "conformance verify-report", "REPORT --verifier URI [--signature REPORT.sig]")
	verifier := fs.String("verifier", "", "key URI of the key that signed the report (a public key is enough)")
	sigPath := fileString(fs, "signature", kindReportSignature, "the detached signature (default REPORT.sig)")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return parseStatus(err)
	}
	if len(files) != 1 || *verifier == "" {
		return e.errorf("conformance verify-report: give one REPORT file and --verifier URI")
	}
	if *sigPath == "" {
		*sigPath = files[0] + ".sig"
	}
	report, err := readFile(ctx, kindReportIn, files[0])
	if err != nil {
		return e.errorf("conformance verify-report: %v", err)
	}
	sigText, err := readFile(ctx, kindReportSignature, *sigPath)
	if err != nil {
		return e.errorf("conformance verify-report: %v", err)
	}
	sig, err := conformance.ParseReportSignature(sigText)
	if err != nil {
		return e.errorf("conformance verify-report: %s: %v", *sigPath, err)
	}
	key, err := openKey(ctx, *verifier)
	if err != nil {
		return e.errorf("conformance verify-report: --verifier: %v", err)
	}
	defer key.Close()
	if err := conformance.VerifyReport(ctx, key, report, sig); err != nil {
		if errors.Is(err, conformance.ErrReportForged) {
			fmt.Fprintf(e.stderr, "tinywindow: conformance verify-report %s: %v\n", files[0], err)
			return exitInvalid
		}
		return e.errorf("conformance verify-report %s: %v", files[0], err)
	}
	fmt.Fprintf(e.stdout, "%s: %s report signed by key %s (%s)\n", files[0], sig.Format, sig.KeyID, sig.Algorithm)
	return exitOK
}
