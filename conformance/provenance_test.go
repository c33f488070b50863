package conformance_test

import (
	"bytes"
	"context"
	"crypto/fips140"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// identified is a key that describes itself for audit reports, as HSM and
// KMS keys do.
type identified struct {
	*hmac.Key
	ident provider.Identity
	err   error
}

func (k *identified) Identity(context.Context) (provider.Identity, error) { return k.ident, k.err }

// TestReportProvenance checks that a report says which build judged which
// key where: the redacted signer URI, the verify mode and backend identity of
// the key, the build, Go version, FIPS mode, start time and duration, in
// JSON and in Markdown.
func TestReportProvenance(t *testing.T) {
	ident := provider.Identity{VerifyMode: "hsm", Attributes: map[string]string{
		"serial": "abc123", "model": "Luna K7", "library-manufacturer": "Thales", "firmware-version": "7.8",
	}}
	before := time.Now()
	rep, err := conformance.Run(t.Context(), conformance.Subject{
		URI: "hmac:seed=42?pin-value=pin-SECRET-1234&key-source=src-SECRET-00ff",
		Open: func(context.Context) (provider.Key, error) {
			return &identified{Key: hmac.NewFromSeed(42), ident: ident}, nil
		},
		Goroutines: 2, OpsPerGoroutine: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Signer != "hmac:seed=REDACTED?pin-value=REDACTED&key-source=REDACTED" {
		t.Errorf("signer %q: secrets not redacted", rep.Signer)
	}
	if rep.VerifyMode != "hsm" || rep.BackendIdentity["serial"] != "abc123" || rep.BackendIdentity["model"] != "Luna K7" {
		t.Errorf("verify mode %q, identity %v", rep.VerifyMode, rep.BackendIdentity)
	}
	if rep.GoVersion != runtime.Version() || rep.FIPS140 != fips140.Enabled() {
		t.Errorf("Go %q, FIPS %v", rep.GoVersion, rep.FIPS140)
	}
	if rep.Build.Path == "" || rep.Build.RevisionSource == "" {
		t.Errorf("build %+v", rep.Build)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(bin); rep.Build.BinarySHA256 != hex.EncodeToString(sum[:]) || rep.Build.BinaryError != "" {
		t.Errorf("binary SHA-256 %q (%s), want %x, that of %s", rep.Build.BinarySHA256, rep.Build.BinaryError, sum, exe)
	}
	if rep.Duration <= 0 || rep.Time.Before(before.Add(-time.Second)) || rep.Time.After(time.Now()) {
		t.Errorf("time %v, duration %v", rep.Time, rep.Duration)
	}
	var sum time.Duration
	for _, c := range rep.Checks {
		sum += c.Duration
	}
	if rep.Duration < sum {
		t.Errorf("duration %v is less than the checks' sum %v", rep.Duration, sum)
	}

	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"signer", "verify_mode", "backend_identity", "build", "go_version", "fips140", "time", "duration_ns"} {
		if _, ok := m[key]; !ok {
			t.Errorf("JSON report has no %q: %s", key, js.Bytes())
		}
	}
	if b, _ := m["build"].(map[string]any); b["revision_source"] == nil || b["path"] == nil {
		t.Errorf("JSON build %v", m["build"])
	}
	// The secrets are words no duration, hash or key ID can spell by chance.
	if bytes.Contains(js.Bytes(), []byte("SECRET")) || bytes.Contains(js.Bytes(), []byte("seed=42")) {
		t.Errorf("JSON report holds a secret: %s", js.Bytes())
	}

	var md bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Provenance", "| Signer URI | `hmac:seed=REDACTED", "| Verify mode | `hsm` |", "| serial | `abc123` |",
		"| firmware-version | `7.8` |", "| Revision |", "| Binary SHA-256 | `" + rep.Build.BinarySHA256 + "` |", "| Go | " + runtime.Version(), "| FIPS 140-3 mode |", "| Started |", "| Duration |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown report lacks %q:\n%s", want, md.String())
		}
	}
}

// TestReportIdentityError checks that a key that cannot describe itself is
// still judged, and that the report says why its identity is missing.
func TestReportIdentityError(t *testing.T) {
	rep, err := conformance.Run(t.Context(), conformance.Subject{
		Open: func(context.Context) (provider.Key, error) {
			return &identified{Key: hmac.NewFromSeed(42), ident: provider.Identity{VerifyMode: "hsm"}, err: errors.New("C_GetTokenInfo: CKR_DEVICE_REMOVED")}, nil
		},
		Goroutines: 2, OpsPerGoroutine: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.IdentityError != "C_GetTokenInfo: CKR_DEVICE_REMOVED" || rep.VerifyMode != "hsm" || rep.Signer != "" {
		t.Errorf("report %+v", rep)
	}
	var md bytes.Buffer
	rep.WriteMarkdown(&md)
	if !strings.Contains(md.String(), "| Backend identity | unavailable: C_GetTokenInfo: CKR_DEVICE_REMOVED |") {
		t.Errorf("Markdown:\n%s", md.String())
	}
}

// TestReportInProcessKey checks the verify mode of a key held in this
// process, and a URI that does not parse, which is not shown.
func TestReportInProcessKey(t *testing.T) {
	rep, err := conformance.Run(t.Context(), conformance.Subject{
		URI:        "not a URI with secret 1234",
		Open:       conformance.OpenURI("hmac:seed=42"),
		Goroutines: 2, OpsPerGoroutine: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.VerifyMode != "local" || strings.Contains(rep.Signer, "1234") || rep.Signer == "" {
		t.Errorf("verify mode %q, signer %q", rep.VerifyMode, rep.Signer)
	}
}
