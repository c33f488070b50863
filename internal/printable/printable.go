// Package printable makes text from outside safe to put in an error
// message or a log line: control characters (newline, ESC and the rest of
// C0 and C1), invalid UTF-8 and other non-printing runes (such as the
// bidirectional overrides) are escaped as in a Go string literal, so that
// input can neither forge a log line nor drive a terminal.
//
// Text that the code formats itself takes %q. This package is for messages
// made by others that embed the input unquoted, such as a YAML parser's.
package printable

import (
	"strconv"
	"unicode/utf8"
)

// String returns s with every rune that strconv.IsPrint rejects, other than
// the space, and every byte of invalid UTF-8 escaped (\n, \x1b, \u202e,
// \xff). Printable text, backslashes included, is returned unchanged.
func String(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || (r != ' ' && !strconv.IsPrint(r)) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	out := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			out = append(out, `\x`...)
			out = append(out, "0123456789abcdef"[s[i]>>4], "0123456789abcdef"[s[i]&15])
		case r == ' ' || strconv.IsPrint(r):
			out = append(out, s[i:i+n]...)
		default:
			q := strconv.QuoteRune(r) // '\n', '\x1b', '\u202e'
			out = append(out, q[1:len(q)-1]...)
		}
		i += n
	}
	return string(out)
}

// Error returns err with its message passed through String; errors.Is and
// errors.As still see err. A nil err stays nil.
func Error(err error) error {
	if err == nil {
		return nil
	}
	return &escaped{err}
}

type escaped struct{ err error }

func (e *escaped) Error() string { return String(e.err.Error()) }
func (e *escaped) Unwrap() error { return e.err }
