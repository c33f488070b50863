package main

import (
	"context"
	"crypto/fips140"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/tinywindow/tinywindow/provider"
)

func init() {
	register(command{name: "providers", summary: "list the registered backends and their algorithms, and the FIPS 140-3 mode", run: runProviders})
}

// fipsStatus describes FIPS 140-3 mode as crypto/fips140 reports it.
type fipsStatus struct {
	// Enabled is true under GODEBUG=fips140=on or =only, and in a program
	// built with GOFIPS140 set to a module version.
	Enabled bool `json:"enabled"`
	// Enforced is true under GODEBUG=fips140=only.
	Enforced bool `json:"enforced"`
	// ModuleVersion is the Go Cryptographic Module's version, such as
	// "v1.26.0" for a GOFIPS140=inprocess build, or "latest" for the
	// module of the Go release that built the program.
	ModuleVersion string `json:"module_version"`
	// GOFIPS140 is the GOFIPS140 setting the program was built with, if
	// any.
	GOFIPS140 string `json:"gofips140,omitempty"`
}

func currentFIPS() fipsStatus {
	s := fipsStatus{Enabled: fips140.Enabled(), Enforced: fips140.Enforced(), ModuleVersion: fips140.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, kv := range bi.Settings {
			if kv.Key == "GOFIPS140" {
				s.GOFIPS140 = kv.Value
			}
		}
	}
	return s
}

func runProviders(_ context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "providers", "[--json]")
	asJSON := fs.Bool("json", false, "print JSON")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	type entry struct {
		Scheme      string               `json:"scheme"`
		Description string               `json:"description"`
		Algorithms  []provider.Algorithm `json:"algorithms"`
		Keygen      bool                 `json:"keygen"`
	}
	var list []entry
	for _, b := range provider.Backends() {
		list = append(list, entry{b.Scheme, b.Description, b.Algorithms, b.Generate != nil})
	}
	fips := currentFIPS()
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		err := enc.Encode(struct {
			GoVersion string     `json:"go_version"`
			FIPS140   fipsStatus `json:"fips140"`
			Providers []entry    `json:"providers"`
		}{runtime.Version(), fips, list})
		if err != nil {
			return e.errorf("providers: %v", err)
		}
		return exitOK
	}
	for _, b := range list {
		algs := make([]string, len(b.Algorithms))
		for i, a := range b.Algorithms {
			algs[i] = string(a)
		}
		fmt.Fprintf(e.stdout, "%-8s %s\n         algorithms: %s\n", b.Scheme, b.Description, strings.Join(algs, ", "))
	}
	mode := "off"
	if fips.Enabled {
		mode = "on"
	}
	fmt.Fprintf(e.stdout, "FIPS 140-3 mode: %s (Go Cryptographic Module %s, %s)\n", mode, fips.ModuleVersion, runtime.Version())
	return exitOK
}
