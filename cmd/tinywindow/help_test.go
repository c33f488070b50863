package main

import (
	"strings"
	"testing"
)

// TestHelpEverywhere: -h and --help print a usage on stderr and exit 0, for
// the tool and for every registered subcommand alike, wherever the help
// flag stands among the flags.
func TestHelpEverywhere(t *testing.T) {
	t.Setenv("TINYWINDOW_SIGNER", "")
	if len(commands) < 10 {
		t.Fatalf("only %d subcommands registered", len(commands))
	}
	var invocations [][]string
	for _, h := range []string{"-h", "--help", "-help"} {
		invocations = append(invocations, []string{h})
		for _, c := range commands {
			invocations = append(invocations, []string{c.name, h})
		}
	}
	invocations = append(invocations,
		[]string{"help"},
		[]string{"audit", "verify", "-h"},
		[]string{"sign", "--signer", signer, "-h"},
		[]string{"demo", "--orders", "5", "--help"},
		[]string{"venue", "--listen", "127.0.0.1:0", "-h"},
	)
	for _, args := range invocations {
		code, out, errOut := run(t, "", args...)
		if code != exitOK {
			t.Errorf("tinywindow %s: exit %d, want 0; stderr %q", strings.Join(args, " "), code, errOut)
		}
		if !strings.Contains(strings.ToLower(errOut), "usage") {
			t.Errorf("tinywindow %s: stderr %q holds no usage", strings.Join(args, " "), errOut)
		}
		if out != "" {
			t.Errorf("tinywindow %s: usage went to stdout: %q", strings.Join(args, " "), out)
		}
	}
	// A flag error is still an error.
	for _, c := range commands {
		args := []string{c.name, "--no-such-flag"}
		switch c.name {
		case "audit":
			args = []string{c.name, "verify", "--no-such-flag"}
		case "trail":
			args = []string{c.name, "serve", "--no-such-flag"}
		}
		if code, _, _ := run(t, "", args...); code != exitError {
			t.Errorf("tinywindow %s: exit %d, want 2", strings.Join(args, " "), code)
		}
	}
}

// TestHelpSaysWhatAndHow: every subcommand's -h (and each audit
// subcommand's) says what it does and gives an example before its flags,
// and the help table names no subcommand that does not exist.
func TestHelpSaysWhatAndHow(t *testing.T) {
	t.Setenv("TINYWINDOW_SIGNER", "")
	var names []string
	for _, c := range commands {
		if c.name == "audit" {
			for _, a := range auditCommands {
				names = append(names, "audit "+a.name)
			}
			continue
		}
		if c.name == "trail" {
			for _, a := range trailCommands {
				names = append(names, "trail "+a.name)
			}
			continue
		}
		names = append(names, c.name)
		if c.name == "conformance" {
			names = append(names, "conformance verify-report")
		}
	}
	for _, name := range names {
		code, _, errOut := run(t, "", append(strings.Fields(name), "-h")...)
		if code != exitOK {
			t.Errorf("tinywindow %s -h: exit %d", name, code)
		}
		h, ok := help[name]
		if !ok {
			t.Errorf("tinywindow %s has no entry in help", name)
			continue
		}
		if !strings.Contains(h.example, "tinywindow "+name+" ") {
			t.Errorf("the example of tinywindow %s does not run it: %s", name, h.example)
		}
		for _, want := range []string{h.what, "example:\n  " + h.example + "\n", "flags:\n"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("tinywindow %s -h lacks %q:\n%s", name, want, errOut)
			}
		}
	}
	if len(help) != len(names) {
		t.Errorf("help has %d entries for %d subcommands: %v", len(help), len(names), names)
	}
}
