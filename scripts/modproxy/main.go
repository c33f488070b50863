// Command modproxy prepares a release of the modules of this repository and
// publishes them into a file-based module proxy, so that the release can be
// tried as a user meets it before any tag exists.
//
// Usage (from the repository root):
//
//	go run ./scripts/modproxy set-version -root DIR -version VERSION
//	go run ./scripts/modproxy publish -root DIR -version VERSION -dir PROXYDIR
//	go run ./scripts/modproxy modules -root DIR
//	go run ./scripts/modproxy tags -root DIR -version VERSION
//	go run ./scripts/modproxy version -root DIR
//
// Run it with GOWORK=off: go.work names the version the tree is at, which
// set-version may be about to change.
//
// set-version sets every requirement of every go.mod under DIR on a module of
// the tree to VERSION, and fails on a replace directive (go install refuses
// them). publish writes each released module (those go.work uses) at VERSION
// into PROXYDIR as a proxy serves it (MODULE/@v/list, VERSION.info,
// VERSION.mod, VERSION.zip), for GOPROXY=file://PROXYDIR. modules prints the
// directory of each released module, relative to DIR; tags prints the tag a
// release creates for each (v1.2.3, providers/awskms/v1.2.3, …); version
// prints the version at which the tree's modules require each other.
//
// scripts/release.sh runs them; scripts/test.d/80-release.sh checks the
// result the way a user's go get and go install meet it.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one subcommand and returns the exit status: 0 on success, 2 on
// any error, with the error on stderr.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: modproxy set-version|publish|modules|tags|version -root DIR [-version VERSION] [-dir PROXYDIR]")
		return 2
	}
	fs := flag.NewFlagSet("modproxy "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", ".", "the repository `DIR` (where go.work is)")
	version := fs.String("version", "", "the release `VERSION`, such as v0.1.0")
	dir := fs.String("dir", "", "the file-based proxy `DIR` publish writes into")
	stamp := fs.String("time", "", "the version's time in RFC 3339 for VERSION.info (default: now)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	var err error
	switch args[0] {
	case "set-version":
		err = SetVersion(*root, *version)
	case "publish":
		t := time.Now().UTC()
		if *stamp != "" {
			if t, err = time.Parse(time.RFC3339, *stamp); err != nil {
				break
			}
		}
		if *dir == "" {
			err = fmt.Errorf("publish: no -dir: name the directory the proxy is written into")
			break
		}
		err = Publish(*root, *version, *dir, t)
	case "version":
		var v string
		if v, err = TreeVersion(*root); err == nil {
			fmt.Fprintln(stdout, v)
		}
	case "modules", "tags":
		var mods []Module
		if mods, err = Released(*root); err != nil {
			break
		}
		for _, m := range mods {
			if args[0] == "modules" {
				fmt.Fprintln(stdout, m.Dir)
				continue
			}
			var tag string
			if tag, err = m.Tag(*version); err != nil {
				break
			}
			fmt.Fprintln(stdout, tag)
		}
	default:
		err = fmt.Errorf("unknown subcommand %q: use set-version, publish, modules, tags or version", args[0])
	}
	if err != nil {
		fmt.Fprintf(stderr, "modproxy: %v\n", err)
		return 2
	}
	return 0
}
