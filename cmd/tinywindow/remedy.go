package main

import (
	"errors"
	"slices"
	"strings"

	"github.com/tinywindow/tinywindow/provider"
)

// remedies returns, as " (REMEDY)" each, the Remedy of the
// [provider.OpError] that each error among args holds, every remedy once
// and in the order of args; "" when none has one. The backends leave
// remedies out of their messages: the command is where an operator reads
// them.
func remedies(args []any) string {
	var b strings.Builder
	var seen []string
	for _, a := range args {
		err, ok := a.(error)
		if !ok {
			continue
		}
		var oe *provider.OpError
		if !errors.As(err, &oe) || oe.Remedy == "" || slices.Contains(seen, oe.Remedy) {
			continue
		}
		seen = append(seen, oe.Remedy)
		b.WriteString(" (")
		b.WriteString(oe.Remedy)
		b.WriteByte(')')
	}
	return b.String()
}
