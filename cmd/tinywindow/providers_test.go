package main

import (
	"crypto/fips140"
	"encoding/json"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// TestProvidersJSON checks providers --json: the Go version, the FIPS 140-3
// mode and module version as crypto/fips140 reports them, and every
// backend. It runs itself again under GODEBUG=fips140=on, where the mode
// must read enabled.
func TestProvidersJSON(t *testing.T) {
	code, out, errOut := run(t, "", "providers", "--json")
	if code != exitOK {
		t.Fatalf("providers --json: exit %d: %s", code, errOut)
	}
	var got struct {
		GoVersion string `json:"go_version"`
		FIPS140   struct {
			Enabled       *bool  `json:"enabled"`
			ModuleVersion string `json:"module_version"`
		} `json:"fips140"`
		Providers []struct {
			Scheme     string   `json:"scheme"`
			Algorithms []string `json:"algorithms"`
		} `json:"providers"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("providers --json is not the documented JSON: %v\n%s", err, out)
	}
	if got.GoVersion != runtime.Version() || got.FIPS140.Enabled == nil || *got.FIPS140.Enabled != fips140.Enabled() || got.FIPS140.ModuleVersion != fips140.Version() {
		t.Errorf("providers --json says Go %q, FIPS %v module %q; want %q, %v, %q",
			got.GoVersion, got.FIPS140.Enabled, got.FIPS140.ModuleVersion, runtime.Version(), fips140.Enabled(), fips140.Version())
	}
	schemes := map[string]bool{}
	for _, p := range got.Providers {
		schemes[p.Scheme] = len(p.Algorithms) > 0
	}
	for _, s := range []string{"hmac", "pqc", "pkcs11", "awskms", "azurekv", "remote"} {
		if !schemes[s] {
			t.Errorf("providers --json lacks %s (or its algorithms): %v", s, schemes)
		}
	}
	if code, text, _ := run(t, "", "providers"); code != exitOK || !strings.Contains(text, "FIPS 140-3 mode: ") {
		t.Errorf("providers: exit %d, no FIPS line: %s", code, text)
	}
	if fips140.Enabled() || testing.Short() {
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestProvidersJSON$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GODEBUG=fips140=on")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("TestProvidersJSON under GODEBUG=fips140=on: %v\n%s", err, out)
	}
}
