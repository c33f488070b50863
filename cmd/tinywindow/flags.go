package main

import "strings"

// stringList is a flag that may be given more than once (--dns, --witness).
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }
