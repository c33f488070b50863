package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
)

func init() {
	register(command{name: "conformance", summary: "run the conformance suite against a key; write JSON and Markdown reports", run: runConformance})
}

func runConformance(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "conformance", "--signer URI [--other URI] [--report FILE.json] [--markdown FILE.md]")
	var sf signerFlags
	sf.add(fs)
	other := fs.String("other", "", "URI of a second key of the same algorithm, for the other-key check (skipped without it)")
	jsonPath := fileString(fs, "report", kindReport, "write the report as JSON to FILE")
	mdPath := fileString(fs, "markdown", kindReport, "write the report as Markdown to FILE")
	goroutines := fs.Int("goroutines", 64, "goroutines of the concurrency check")
	ops := fs.Int("ops", 8, "sign and verify pairs per goroutine in the concurrency check")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	if *goroutines < 1 || *ops < 1 {
		return e.errorf("conformance: --goroutines and --ops must be at least 1")
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
	for _, w := range []struct {
		path  string
		write func(f *os.File) error
	}{
		{*jsonPath, func(f *os.File) error { return rep.WriteJSON(f) }},
		{*mdPath, func(f *os.File) error { return rep.WriteMarkdown(f) }},
	} {
		if w.path == "" {
			continue
		}
		if err := writeFile(w.path, w.write); err != nil {
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

// writeFile creates path and writes it with write, reporting any error of the
// write or the close.
func writeFile(path string, write func(*os.File) error) error {
	f, err := createFile(kindReport, path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
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
