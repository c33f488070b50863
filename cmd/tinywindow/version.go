package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"

	"github.com/tinywindow/tinywindow/conformance"
)

func init() {
	register(command{name: "version", summary: "print the module version, commit, Go version and FIPS 140-3 mode", run: runVersion})
}

// versionInfo is what tinywindow version and --version print.
type versionInfo struct {
	// Version is the cmd/tinywindow module's version, such as v0.1.0 for a
	// binary built by go install …@v0.1.0, or "(devel)" for a build from a
	// work tree.
	Version string `json:"version"`
	// Commit is the commit the binary was built from, empty when unknown;
	// Modified reports uncommitted changes at build time.
	Commit   string `json:"commit,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	// Go is the Go release that built the binary, and its target.
	Go       string `json:"go"`
	Platform string `json:"platform"`
	// FIPS140 is the FIPS 140-3 mode of the Go Cryptographic Module.
	FIPS140 fipsStatus `json:"fips140"`
}

// currentVersion reads the running binary's versionInfo.
func currentVersion() versionInfo {
	return newVersionInfo(conformance.ReadBuild(), runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH, currentFIPS())
}

func newVersionInfo(b conformance.Build, goVersion, platform string, fips fipsStatus) versionInfo {
	v := versionInfo{Version: b.Version, Commit: b.Revision, Modified: b.Modified, Go: goVersion, Platform: platform, FIPS140: fips}
	if v.Version == "" {
		v.Version = "(devel)"
	}
	return v
}

// write prints v as lines of "name: value".
func (v versionInfo) write(w io.Writer) {
	commit := v.Commit
	switch {
	case commit == "":
		commit = "unknown (built without VCS information; make build records it)"
	case v.Modified:
		commit += " (modified)"
	}
	mode := "off"
	switch {
	case v.FIPS140.Enforced:
		mode = "only (enforced)"
	case v.FIPS140.Enabled:
		mode = "on"
	}
	fmt.Fprintf(w, "tinywindow %s\ncommit:  %s\ngo:      %s %s\nfips140: %s, Go Cryptographic Module %s\n",
		v.Version, commit, v.Go, v.Platform, mode, v.FIPS140.ModuleVersion)
}

func runVersion(_ context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "version", "[--json]")
	asJSON := fs.Bool("json", false, "print JSON")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	v := currentVersion()
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return e.errorf("version: %v", err)
		}
		return exitOK
	}
	v.write(e.stdout)
	return exitOK
}
