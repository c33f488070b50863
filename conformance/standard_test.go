package conformance_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
)

// TestAlgorithmStandard checks that every algorithm the project knows has a
// standard recorded, and the standard of each family.
func TestAlgorithmStandard(t *testing.T) {
	want := map[string]string{"HMAC": "RFC 2104", "ML-DSA": "FIPS 204", "SLH-DSA": "FIPS 205", "ECDSA": "FIPS 186-5",
		"Ed25519": "RFC 8032", "RSA": "RFC 8017", "MLDSA": "composite"}
	for _, alg := range provider.Algorithms() {
		std := conformance.AlgorithmStandard(alg)
		if strings.HasPrefix(std, "unknown") {
			t.Errorf("%s: %s", alg, std)
		}
		for prefix, w := range want {
			if strings.HasPrefix(string(alg), prefix) && !strings.Contains(std, w) {
				t.Errorf("%s: standard %q, want one naming %q", alg, std, w)
			}
		}
	}
}

// TestReportDescribesChecks checks that each check of a report says what it
// checks and what it holds the key to, in JSON and Markdown: the contract,
// or the standard of the key's algorithm.
func TestReportDescribesChecks(t *testing.T) {
	rep, err := conformance.Run(t.Context(), conformance.Subject{Open: conformance.OpenURI("hmac:seed=42"), Goroutines: 1, OpsPerGoroutine: 1})
	if err != nil {
		t.Fatal(err)
	}
	described := map[string]conformance.Check{}
	for _, c := range conformance.Checks() {
		described[c.Name] = c
	}
	var md strings.Builder
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, res := range rep.Checks {
		c := described[res.Name]
		if res.Description == "" || res.Description != c.Description {
			t.Errorf("%s: description %q, want %q", res.Name, res.Description, c.Description)
		}
		want := "TinyWindow provider.Key contract"
		if c.Basis == conformance.BasisAlgorithm {
			want = conformance.AlgorithmStandard(provider.HMACSHA256)
		}
		if c.Basis != conformance.BasisKnownAnswers && c.Basis != conformance.BasisSPKI && res.Standard != want {
			t.Errorf("%s: standard %q, want %q", res.Name, res.Standard, want)
		}
		if res.Standard == "" {
			t.Errorf("%s: no standard", res.Name)
		}
		row := "| `" + res.Name + "` | " + string(res.Status) + " | " + res.Description + " | ["
		i := strings.Index(md.String(), row)
		if i < 0 {
			t.Errorf("Markdown lacks the row %q", row)
			continue
		}
		var n int
		fmt.Sscanf(md.String()[i+len(row):], "%d]", &n)
		if !strings.Contains(md.String(), fmt.Sprintf("\n%d. %s\n", n, res.Standard)) {
			t.Errorf("Markdown's check %s refers to standard [%d], which is not %q", res.Name, n, res.Standard)
		}
	}
}
