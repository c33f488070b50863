package conformance

import (
	"crypto/fips140"
	"runtime/debug"
)

// revision and modified are set at link time where the toolchain records no
// VCS information (-buildvcs=false, or a build outside a work tree):
//
//	go build -ldflags "-X github.com/tinywindow/tinywindow/conformance.revision=$(git rev-parse HEAD) \
//	    -X github.com/tinywindow/tinywindow/conformance.modified=true"
//
// as `make build` does.
var revision, modified string

// Build identifies the program that ran the suite.
type Build struct {
	// Path and Version are those of the main module: a released version, or
	// "(devel)" for a build from a work tree.
	Path    string `json:"path"`
	Version string `json:"version"`
	// Revision is the VCS revision (commit) the program was built from,
	// empty when unknown. Modified reports uncommitted changes at build time.
	Revision string `json:"revision,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	// RevisionTime is the commit time the toolchain recorded, if any.
	RevisionTime string `json:"revision_time,omitempty"`
	// RevisionSource says where Revision came from: "buildinfo" (recorded
	// by the Go toolchain), "ldflags" (set at link time), or "unknown".
	RevisionSource string `json:"revision_source"`
	// BinarySHA256 is the SHA-256, in lowercase hex, of the executable
	// file that ran the suite (on Linux the file the process started from,
	// even if its path has since been replaced); BinaryError says why it
	// could not be read. ReadBuild leaves both empty: only a report pays
	// for reading the executable.
	BinarySHA256 string `json:"binary_sha256,omitempty"`
	BinaryError  string `json:"binary_error,omitempty"`
}

// ReadBuild returns the Build of the running program: its main module's path
// and version from the Go toolchain's build information, and the commit it
// was built from, recorded by the toolchain (vcs.revision) or, failing that,
// set at link time as `make build` does. Reports and `tinywindow version` both
// read it, so they never disagree.
func ReadBuild() Build {
	b, _ := readBuild()
	return b
}

func readBuild() (Build, []Module) {
	b := Build{RevisionSource: "unknown"}
	var mods []Module
	bi, ok := debug.ReadBuildInfo()
	if ok {
		b.Path, b.Version = bi.Main.Path, bi.Main.Version
		mods = append(mods, Module{Path: bi.Main.Path, Version: bi.Main.Version})
		for _, d := range bi.Deps {
			m := d
			if d.Replace != nil {
				m = d.Replace
			}
			mods = append(mods, Module{Path: m.Path, Version: m.Version})
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision, b.RevisionSource = s.Value, "buildinfo"
			case "vcs.modified":
				b.Modified = s.Value == "true"
			case "vcs.time":
				b.RevisionTime = s.Value
			}
		}
	}
	if b.Revision == "" && revision != "" {
		b.Revision, b.Modified, b.RevisionSource = revision, modified == "true", "ldflags"
	}
	return b, mods
}

// fipsMode reports whether the Go Cryptographic Module runs in FIPS 140-3
// mode (GODEBUG=fips140=on or only).
func fipsMode() bool { return fips140.Enabled() }
