package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/tinywindow/tinywindow/provider"
)

// Version is the version of the suite: the list of checks and what each
// asserts. It changes whenever a check is added or made stricter.
const Version = "2"

// suiteName names the suite in every report.
const suiteName = "tinywindow-conformance"

// Status is the outcome of one check.
type Status string

// The outcomes of a check.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Result is the outcome of one check.
type Result struct {
	Name string `json:"name"`
	// Description says in one line what the check asserts, and Standard
	// what it holds the key to: the provider.Key contract, or the
	// standard of the key's algorithm (AlgorithmStandard).
	Description string `json:"description"`
	Standard    string `json:"standard"`
	Status      Status `json:"status"`
	Reason      string `json:"reason,omitempty"`
	// Vectors is how many known-answer vectors a known-answer check
	// judged; the reason names the set and the counts.
	Vectors  int           `json:"vectors,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// Module is one Go module linked into the program that ran the suite.
type Module struct {
	Path    string `json:"path"`
	Version string `json:"version"`
}

// Report is the outcome of one run of the suite against one key. Besides the
// checks it records their provenance: which build judged which key, where.
type Report struct {
	Suite string `json:"suite"`
	// SchemaVersion is the version of the JSON layout (SchemaVersion).
	SchemaVersion int    `json:"schema_version"`
	SuiteVersion  string `json:"suite_version"`
	Backend       string `json:"backend"`
	KeyID         string `json:"key_id"`
	Algorithm     string `json:"algorithm"`
	KeyVersion    string `json:"key_version,omitempty"`
	// PublicKeySHA256 is the SHA-256 of the key's DER SubjectPublicKeyInfo
	// in lowercase hex, and PublicKeyPEM the public key as a PEM "PUBLIC
	// KEY" block, for a key that exports one (none for a MAC);
	// PublicKeyError says why an asymmetric key's could not be read.
	PublicKeySHA256 string `json:"public_key_sha256,omitempty"`
	PublicKeyPEM    string `json:"public_key_pem,omitempty"`
	PublicKeyError  string `json:"public_key_error,omitempty"`
	// Findings are what an auditor must weigh beyond the checks: each a
	// warning about the key with its reason.
	Findings []Finding `json:"findings"`
	// Signer is the URI of the key under test with its secrets redacted
	// (see provider.URI.Redacted), when the subject names one.
	Signer string `json:"signer,omitempty"`
	// VerifyMode and BackendIdentity come from the key's
	// provider.Identifier, where it has one: where Verify checks a
	// signature, and what device or service holds the key.
	VerifyMode      string            `json:"verify_mode,omitempty"`
	BackendIdentity map[string]string `json:"backend_identity,omitempty"`
	// KeyProvenance says whether the device or service holding the key
	// made it and whether it can leave, where the key's
	// provider.Identifier reports it.
	KeyProvenance provider.Provenance `json:"key_provenance,omitzero"`
	// IdentityError says why the key could not describe itself.
	IdentityError string   `json:"identity_error,omitempty"`
	Build         Build    `json:"build"`
	GoVersion     string   `json:"go_version"`
	FIPS140       bool     `json:"fips140"`
	Modules       []Module `json:"modules"`
	// Time is when the run started (UTC); Duration is how long it took.
	Time     time.Time     `json:"time"`
	Duration time.Duration `json:"duration_ns"`
	Checks   []Result      `json:"checks"`
	Passed   int           `json:"passed"`
	Failed   int           `json:"failed"`
	Skipped  int           `json:"skipped"`
}

// OK reports whether no check failed.
func (r *Report) OK() bool { return r.Failed == 0 }

func newReport(start time.Time) *Report {
	r := &Report{
		Suite:         suiteName,
		SchemaVersion: SchemaVersion,
		SuiteVersion:  Version,
		GoVersion:     runtime.Version(),
		FIPS140:       fipsMode(),
		Time:          start.UTC().Truncate(time.Millisecond),
	}
	r.Build, r.Modules = readBuild()
	if sum, err := binarySHA256(); err != nil {
		r.Build.BinaryError = err.Error()
	} else {
		r.Build.BinarySHA256 = sum
	}
	return r
}

func (r *Report) add(res Result) {
	r.Checks = append(r.Checks, res)
	switch res.Status {
	case Pass:
		r.Passed++
	case Fail:
		r.Failed++
	case Skip:
		r.Skipped++
	}
}

// WriteJSON writes the report as one indented JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteMarkdown writes the report as a Markdown document for people: the
// summary first (verdict, counts and the key under test), then the findings,
// the checks, the public key and the provenance, and the modules last.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# TinyWindow conformance report\n\n")
	r.writeMarkdownSummary(&b)
	r.writeMarkdownFindings(&b)
	r.writeMarkdownChecks(&b)
	if r.PublicKeyPEM != "" {
		fmt.Fprintf(&b, "\n## Public key\n\nSHA-256 of the SubjectPublicKeyInfo: `%s`\n\n```\n%s```\n", r.PublicKeySHA256, r.PublicKeyPEM)
	}
	r.writeMarkdownKeyProvenance(&b)
	r.writeMarkdownProvenance(&b)
	if len(r.Modules) > 0 {
		fmt.Fprintf(&b, "\n## Modules\n\n| Module | Version |\n|---|---|\n")
		for _, m := range r.Modules {
			fmt.Fprintf(&b, "| `%s` | `%s` |\n", m.Path, m.Version)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeMarkdownChecks writes the checks as a table whose Standard column
// refers by number to the list of standards below it, each written once.
func (r *Report) writeMarkdownChecks(b *strings.Builder) {
	var standards []string
	fmt.Fprintf(b, "## Checks\n\n| Check | Status | What it checks | Standard | Time | Notes |\n|---|---|---|---|---:|---|\n")
	for _, c := range r.Checks {
		n := slices.Index(standards, c.Standard)
		if n < 0 {
			standards = append(standards, c.Standard)
			n = len(standards) - 1
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | [%d] | %s | %s |\n", c.Name, c.Status, mdEscape(c.Description), n+1, c.Duration.Round(time.Microsecond), mdEscape(c.Reason))
	}
	fmt.Fprintf(b, "\nStandards:\n\n")
	for i, s := range standards {
		fmt.Fprintf(b, "%d. %s\n", i+1, mdEscape(s))
	}
}

// writeMarkdownSummary writes the verdict with the counts and the key under
// test.
func (r *Report) writeMarkdownSummary(b *strings.Builder) {
	verdict := "PASS"
	if !r.OK() {
		verdict = "FAIL"
	}
	fmt.Fprintf(b, "**%s**: %d passed, %d failed, %d skipped; %d findings.\n\n", verdict, r.Passed, r.Failed, r.Skipped, len(r.Findings))
	fmt.Fprintf(b, "| | |\n|---|---|\n")
	fmt.Fprintf(b, "| Backend | `%s` |\n| Key ID | `%s` |\n| Algorithm | `%s` |\n", r.Backend, r.KeyID, r.Algorithm)
	if r.KeyVersion != "" {
		fmt.Fprintf(b, "| Key version | `%s` |\n", r.KeyVersion)
	}
	switch {
	case r.PublicKeySHA256 != "":
		fmt.Fprintf(b, "| Public key SHA-256 | `%s` |\n", r.PublicKeySHA256)
	case r.PublicKeyError != "":
		fmt.Fprintf(b, "| Public key | unavailable: %s |\n", mdEscape(r.PublicKeyError))
	}
	if p := r.KeyProvenance; p.Origin != "" || p.Extractable != "" {
		fmt.Fprintf(b, "| Made where it is held | %s |\n| Can leave | %s |\n", orUnknown(p.Origin), orUnknown(p.Extractable))
	}
	fmt.Fprintf(b, "| Suite | %s version %s |\n\n", r.Suite, r.SuiteVersion)
}

// writeMarkdownKeyProvenance writes the attributes behind the key's
// provenance, in the backend's own words, if its holder reported any.
func (r *Report) writeMarkdownKeyProvenance(b *strings.Builder) {
	p := r.KeyProvenance
	if p.Origin == "" && p.Extractable == "" && len(p.Attributes) == 0 {
		return
	}
	fmt.Fprintf(b, "\n## Key provenance\n\n| | |\n|---|---|\n| Origin | %s |\n| Extractable | %s |\n", orUnknown(p.Origin), orUnknown(p.Extractable))
	for _, n := range slices.Sorted(maps.Keys(p.Attributes)) {
		fmt.Fprintf(b, "| %s | `%s` |\n", mdEscape(n), mdCode(p.Attributes[n]))
	}
}

// orUnknown returns s, or "unknown" when s is empty.
func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// writeMarkdownFindings writes the findings, or says there are none.
func (r *Report) writeMarkdownFindings(b *strings.Builder) {
	fmt.Fprintf(b, "## Findings\n\n")
	if len(r.Findings) == 0 {
		fmt.Fprintf(b, "None.\n\n")
		return
	}
	for _, f := range r.Findings {
		fmt.Fprintf(b, "- **%s**: %s: %s.\n", strings.ToUpper(string(f.Level)), mdEscape(f.Finding), mdEscape(f.Reason))
	}
	fmt.Fprintf(b, "\n")
}

// writeMarkdownProvenance writes which build judged which key where.
func (r *Report) writeMarkdownProvenance(b *strings.Builder) {
	fmt.Fprintf(b, "\n## Provenance\n\n### Where the key is held\n\n| | |\n|---|---|\n")
	if r.Signer != "" {
		fmt.Fprintf(b, "| Signer URI | `%s` |\n", mdCode(r.Signer))
	}
	if r.VerifyMode != "" {
		fmt.Fprintf(b, "| Verify mode | `%s` |\n", r.VerifyMode)
	}
	names := make([]string, 0, len(r.BackendIdentity))
	for n := range r.BackendIdentity {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(b, "| %s | `%s` |\n", mdEscape(n), mdCode(r.BackendIdentity[n]))
	}
	if r.IdentityError != "" {
		fmt.Fprintf(b, "| Backend identity | unavailable: %s |\n", mdEscape(r.IdentityError))
	}
	fmt.Fprintf(b, "\n### The program that judged it\n\n| | |\n|---|---|\n")
	rev := "unknown (built without VCS information; build with `make build`)"
	if r.Build.Revision != "" {
		rev = fmt.Sprintf("`%s` (from %s)", r.Build.Revision, r.Build.RevisionSource)
		if r.Build.Modified {
			rev += ", with uncommitted changes"
		}
	}
	fmt.Fprintf(b, "| Build | `%s` `%s` |\n| Revision | %s |\n", r.Build.Path, r.Build.Version, rev)
	switch {
	case r.Build.BinarySHA256 != "":
		fmt.Fprintf(b, "| Binary SHA-256 | `%s` |\n", r.Build.BinarySHA256)
	case r.Build.BinaryError != "":
		fmt.Fprintf(b, "| Binary SHA-256 | unavailable: %s |\n", mdEscape(r.Build.BinaryError))
	}
	fips := "off"
	if r.FIPS140 {
		fips = "on"
	}
	fmt.Fprintf(b, "| Go | %s |\n| FIPS 140-3 mode | %s |\n", r.GoVersion, fips)
	fmt.Fprintf(b, "| Started | %s |\n| Duration | %s |\n", r.Time.Format(time.RFC3339Nano), r.Duration.Round(time.Millisecond))
}

// mdCode makes s safe inside a Markdown code span in a table cell.
func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "|", `\|`, "\n", " ").Replace(s)
}

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
