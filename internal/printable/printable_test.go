package printable

import (
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain text: 1.5 AAPL, é, 日本", "plain text: 1.5 AAPL, é, 日本"},
		{`back\slash "quotes"`, `back\slash "quotes"`},
		{"line\nforged", `line\nforged`},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"tab\tcr\r", `tab\tcr\r`},
		{"c1 \u0085 \u009b", `c1 \u0085 \u009b`},
		{"bidi \u202eevil", `bidi \u202eevil`},
		{"bad \xff\xfe utf8", `bad \xff\xfe utf8`},
		{"nul \x00", `nul \x00`},
		{"replacement char \uFFFD is printable", "replacement char \uFFFD is printable"},
	} {
		if got := String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzString(f *testing.F) {
	f.Add("line\nforged\x1b[0m\xff")
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		if !utf8.ValidString(out) {
			t.Fatalf("String(%q) = %q is not UTF-8", s, out)
		}
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u202e' {
				t.Fatalf("String(%q) = %q holds %U", s, out, r)
			}
		}
	})
}

func TestError(t *testing.T) {
	err := Error(&wrapErr{"yaml: cannot unmarshal `a\nb`", io.EOF})
	if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), `a\nb`) {
		t.Fatalf("Error() = %q", err.Error())
	}
	if !errors.Is(err, io.EOF) {
		t.Fatal("the cause is lost")
	}
	if Error(nil) != nil {
		t.Fatal("Error(nil) is not nil")
	}
}

type wrapErr struct {
	msg   string
	cause error
}

func (e *wrapErr) Error() string { return e.msg }
func (e *wrapErr) Unwrap() error { return e.cause }
