package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tinywindow/tinywindow/provider"
)

func init() {
	register(command{name: "providers", summary: "list the registered backends and their algorithms", run: runProviders})
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
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(list); err != nil {
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
	return exitOK
}
