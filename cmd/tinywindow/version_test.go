package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
)

// TestVersionInfo: the lines tinywindow version prints, for released and
// work-tree builds, known and unknown commits, and each FIPS 140-3 mode.
func TestVersionInfo(t *testing.T) {
	const rev = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name  string
		build conformance.Build
		fips  fipsStatus
		want  string
	}{
		{"release", conformance.Build{Version: "v0.1.0", Revision: rev}, fipsStatus{ModuleVersion: "latest"},
			"tinywindow v0.1.0\ncommit:  " + rev + "\ngo:      go1.26.8 linux/amd64\nfips140: off, Go Cryptographic Module latest\n"},
		{"work tree, no VCS stamp", conformance.Build{Version: "(devel)"}, fipsStatus{ModuleVersion: "latest"},
			"tinywindow (devel)\ncommit:  unknown (built without VCS information; make build records it)\ngo:      go1.26.8 linux/amd64\nfips140: off, Go Cryptographic Module latest\n"},
		{"no build information", conformance.Build{Revision: rev, Modified: true}, fipsStatus{Enabled: true, ModuleVersion: "v1.26.0"},
			"tinywindow (devel)\ncommit:  " + rev + " (modified)\ngo:      go1.26.8 linux/amd64\nfips140: on, Go Cryptographic Module v1.26.0\n"},
		{"enforced", conformance.Build{Version: "v0.2.0", Revision: rev}, fipsStatus{Enabled: true, Enforced: true, ModuleVersion: "latest"},
			"tinywindow v0.2.0\ncommit:  " + rev + "\ngo:      go1.26.8 linux/amd64\nfips140: only (enforced), Go Cryptographic Module latest\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			newVersionInfo(tt.build, "go1.26.8", "linux/amd64", tt.fips).write(&b)
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}

// TestVersionCommand: tinywindow version, --version and version --json
// exit 0 and report this binary's module version, the Go release that built
// it and its FIPS 140-3 mode, as conformance reports read them.
func TestVersionCommand(t *testing.T) {
	want := currentVersion()
	if want.Version == "" || want.Go != runtime.Version() {
		t.Fatalf("currentVersion() = %+v", want)
	}
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		code, out, errOut := run(t, "", args...)
		if code != exitOK || errOut != "" {
			t.Fatalf("tinywindow %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
		}
		var b bytes.Buffer
		want.write(&b)
		if out != b.String() {
			t.Errorf("tinywindow %s printed\n%s\nwant\n%s", strings.Join(args, " "), out, b.String())
		}
		if !strings.HasPrefix(out, "tinywindow "+conformanceVersion()+"\n") || !strings.Contains(out, runtime.Version()) {
			t.Errorf("tinywindow %s: %q lacks the module or Go version", strings.Join(args, " "), out)
		}
	}
	code, out, _ := run(t, "", "version", "--json")
	var got versionInfo
	if err := json.Unmarshal([]byte(out), &got); code != exitOK || err != nil {
		t.Fatalf("version --json: exit %d, %v: %q", code, err, out)
	}
	if got != want {
		t.Errorf("version --json = %+v, want %+v", got, want)
	}
	if code, _, _ := run(t, "", "version", "extra"); code != exitError {
		t.Errorf("version extra: exit %d, want 2", code)
	}
}

// conformanceVersion is the module version a conformance report records.
func conformanceVersion() string {
	if v := conformance.ReadBuild().Version; v != "" {
		return v
	}
	return "(devel)"
}

// TestVersionFIPSMode runs tinywindow version in a process of its own under
// each GODEBUG fips140 setting and checks the mode it reports.
func TestVersionFIPSMode(t *testing.T) {
	if os.Getenv("TW_VERSION_CHILD") == "1" {
		os.Exit(runMain(t.Context(), &env{stdin: strings.NewReader(""), stdout: os.Stdout, stderr: os.Stderr}, []string{"version"}))
	}
	for _, tt := range []struct{ godebug, want string }{
		{"fips140=off", "fips140: off,"},
		{"fips140=on", "fips140: on,"},
		{"fips140=only", "fips140: only (enforced),"},
	} {
		t.Run(tt.godebug, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestVersionFIPSMode$")
			cmd.Env = append(os.Environ(), "TW_VERSION_CHILD=1", "GODEBUG="+tt.godebug)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("GODEBUG=%s tinywindow version: %v\n%s", tt.godebug, err, out)
			}
			if !strings.Contains(string(out), "\n"+tt.want) {
				t.Errorf("GODEBUG=%s tinywindow version printed\n%s\nwant a line %q", tt.godebug, out, tt.want)
			}
		})
	}
}
