package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Version is the version of the suite: the list of checks and what each
// asserts. It changes whenever a check is added or made stricter.
const Version = "1"

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
	Name     string        `json:"name"`
	Status   Status        `json:"status"`
	Reason   string        `json:"reason,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// Module is one Go module linked into the program that ran the suite.
type Module struct {
	Path    string `json:"path"`
	Version string `json:"version"`
}

// Report is the outcome of one run of the suite against one key.
type Report struct {
	Suite        string    `json:"suite"`
	SuiteVersion string    `json:"suite_version"`
	Backend      string    `json:"backend"`
	KeyID        string    `json:"key_id"`
	Algorithm    string    `json:"algorithm"`
	KeyVersion   string    `json:"key_version,omitempty"`
	GoVersion    string    `json:"go_version"`
	Modules      []Module  `json:"modules"`
	Time         time.Time `json:"time"`
	Checks       []Result  `json:"checks"`
	Passed       int       `json:"passed"`
	Failed       int       `json:"failed"`
	Skipped      int       `json:"skipped"`
}

// OK reports whether no check failed.
func (r *Report) OK() bool { return r.Failed == 0 }

func newReport() *Report {
	r := &Report{
		Suite:        "tinywindow-conformance",
		SuiteVersion: Version,
		GoVersion:    runtime.Version(),
		Time:         time.Now().UTC().Truncate(time.Second),
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		r.Modules = append(r.Modules, Module{Path: bi.Main.Path, Version: bi.Main.Version})
		for _, d := range bi.Deps {
			m := d
			if d.Replace != nil {
				m = d.Replace
			}
			r.Modules = append(r.Modules, Module{Path: m.Path, Version: m.Version})
		}
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

// WriteMarkdown writes the report as a Markdown document for people.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# TinyWindow conformance report\n\n")
	verdict := "PASS"
	if !r.OK() {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "**%s**: %d passed, %d failed, %d skipped.\n\n", verdict, r.Passed, r.Failed, r.Skipped)
	fmt.Fprintf(&b, "| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| Backend | `%s` |\n| Key ID | `%s` |\n| Algorithm | `%s` |\n", r.Backend, r.KeyID, r.Algorithm)
	if r.KeyVersion != "" {
		fmt.Fprintf(&b, "| Key version | `%s` |\n", r.KeyVersion)
	}
	fmt.Fprintf(&b, "| Suite | %s version %s |\n| Go | %s |\n| Time | %s |\n\n", r.Suite, r.SuiteVersion, r.GoVersion, r.Time.Format(time.RFC3339))
	fmt.Fprintf(&b, "## Checks\n\n| Check | Status | Time | Reason |\n|---|---|---:|---|\n")
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", c.Name, c.Status, c.Duration.Round(time.Microsecond), mdEscape(c.Reason))
	}
	if len(r.Modules) > 0 {
		fmt.Fprintf(&b, "\n## Modules\n\n| Module | Version |\n|---|---|\n")
		for _, m := range r.Modules {
			fmt.Fprintf(&b, "| `%s` | `%s` |\n", m.Path, m.Version)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
