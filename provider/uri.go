package provider

import (
	"fmt"
	"slices"
	"strings"
)

// URI is a parsed key URI in the style of RFC 7512:
//
//	scheme:name=value;name=value?name=value&name=value
//
// Path attributes follow the scheme and are separated by ';'; query attributes
// follow the first '?' and are separated by '&'. Each attribute is split at its
// first '='. Values may hold '/', ':', '=' and UTF-8 text unescaped; a ';',
// '?', '&', '%', '#', space or control byte inside a value is percent-encoded.
// Attribute names are lowercase letters, digits and '-'. An attribute may appear
// once only, in the path or the query.
type URI struct {
	Scheme string
	Path   []Attr
	Query  []Attr
}

// Attr is one name=value attribute of a URI.
type Attr struct {
	Name  string
	Value string
}

// MaxURILength bounds the length of a key URI accepted by ParseURI.
const MaxURILength = 8192

// ParseURI parses a key URI. It checks the syntax only; which attributes a
// scheme accepts is checked by its backend (see URI.Check).
func ParseURI(s string) (*URI, error) {
	if len(s) > MaxURILength {
		return nil, uriError(s, "longer than %d bytes", MaxURILength)
	}
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok {
		return nil, uriError(s, "no scheme: a key URI starts with a scheme and a colon, as in hmac:seed=42")
	}
	if !ValidScheme(scheme) {
		return nil, uriError(s, "scheme %q is not a lowercase letter followed by lowercase letters, digits, '+', '-' or '.'", scheme)
	}
	u := &URI{Scheme: scheme}
	path, query, hasQuery := strings.Cut(rest, "?")
	var err error
	if u.Path, err = parseAttrs(s, path, ';', "path"); err != nil {
		return nil, err
	}
	if hasQuery {
		if u.Query, err = parseAttrs(s, query, '&', "query"); err != nil {
			return nil, err
		}
	}
	seen := make(map[string]bool, len(u.Path)+len(u.Query))
	for _, a := range slices.Concat(u.Path, u.Query) {
		if seen[a.Name] {
			return nil, uriError(s, "attribute %q appears more than once", a.Name)
		}
		seen[a.Name] = true
	}
	return u, nil
}

// MustParseURI is like ParseURI but panics on error. It is meant for URIs
// written in the program's own source.
func MustParseURI(s string) *URI {
	u, err := ParseURI(s)
	if err != nil {
		panic(err)
	}
	return u
}

func parseAttrs(uri, s string, sep byte, part string) ([]Attr, error) {
	if s == "" {
		return nil, nil
	}
	fields := strings.Split(s, string(sep))
	attrs := make([]Attr, 0, len(fields))
	for i, f := range fields {
		if f == "" {
			return nil, uriError(uri, "empty %s attribute (doubled or trailing %q)", part, sep)
		}
		rawName, rawValue, ok := strings.Cut(f, "=")
		if !ok {
			return nil, uriError(uri, "%s attribute %d has no '=': write name=value", part, i+1)
		}
		if strings.ContainsAny(f, ";&?") {
			return nil, uriError(uri, "%s attribute %d holds a raw ';', '&' or '?': percent-encode them inside a value (%%3B, %%26, %%3F)", part, i+1)
		}
		name, err := unescape(rawName)
		if err != nil {
			return nil, uriError(uri, "%s attribute %d: name: %v", part, i+1, err)
		}
		if !ValidAttrName(name) {
			return nil, uriError(uri, "%s attribute %d: name is not lowercase letters, digits and '-'", part, i+1)
		}
		value, err := unescape(rawValue)
		if err != nil {
			return nil, uriError(uri, "value of %q: %v", name, err)
		}
		attrs = append(attrs, Attr{Name: name, Value: value})
	}
	return attrs, nil
}

// String returns the URI in canonical form; ParseURI(u.String()) yields an
// equal URI.
func (u *URI) String() string {
	var b strings.Builder
	b.WriteString(u.Scheme)
	b.WriteByte(':')
	writeAttrs(&b, u.Path, ';')
	if len(u.Query) > 0 {
		b.WriteByte('?')
		writeAttrs(&b, u.Query, '&')
	}
	return b.String()
}

func writeAttrs(b *strings.Builder, attrs []Attr, sep byte) {
	for i, a := range attrs {
		if i > 0 {
			b.WriteByte(sep)
		}
		escape(b, a.Name)
		b.WriteByte('=')
		escape(b, a.Value)
	}
}

// Get returns the value of the named attribute, from the path or the query.
func (u *URI) Get(name string) (string, bool) {
	for _, a := range u.Path {
		if a.Name == name {
			return a.Value, true
		}
	}
	for _, a := range u.Query {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

// Has reports whether the named attribute is present.
func (u *URI) Has(name string) bool {
	_, ok := u.Get(name)
	return ok
}

// Set sets the named query attribute, replacing it wherever it stands.
func (u *URI) Set(name, value string) {
	for i := range u.Path {
		if u.Path[i].Name == name {
			u.Path[i].Value = value
			return
		}
	}
	for i := range u.Query {
		if u.Query[i].Name == name {
			u.Query[i].Value = value
			return
		}
	}
	u.Query = append(u.Query, Attr{Name: name, Value: value})
}

// Check returns an error matching ErrInvalidConfig if the URI's scheme is not
// scheme, or if it holds an attribute that is not in allowed. Unknown
// attributes are an error, never ignored, so that a misspelt option is caught.
func (u *URI) Check(scheme string, allowed ...string) error {
	if u.Scheme != scheme {
		return fmt.Errorf("%w: URI scheme %q, want %q", ErrInvalidConfig, u.Scheme, scheme)
	}
	for _, a := range slices.Concat(u.Path, u.Query) {
		if !slices.Contains(allowed, a.Name) {
			return fmt.Errorf("%w: %s URI: unknown attribute %q; allowed: %s",
				ErrInvalidConfig, scheme, a.Name, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// uriError reports a malformed URI. It quotes the scheme and attribute names
// but never a value, in case a secret was pasted where a source belongs.
func uriError(uri, format string, args ...any) error {
	scheme, _, ok := strings.Cut(uri, ":")
	if !ok || !ValidScheme(scheme) {
		return fmt.Errorf("%w: key URI: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	return fmt.Errorf("%w: %s key URI: %s", ErrInvalidConfig, scheme, fmt.Sprintf(format, args...))
}

// ValidScheme reports whether s is a URI scheme as key URIs have them: a
// lowercase letter, then lowercase letters, digits, '+', '-' and '.'.
func ValidScheme(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// ValidAttrName reports whether s is a URI attribute name: lowercase
// letters, digits and '-', at least one.
func ValidAttrName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789ABCDEF"

// mustEscape reports whether String percent-encodes c: exactly the bytes that
// ParseURI refuses raw inside a value, so that String is never longer than
// the text it was parsed from. Non-ASCII bytes are kept as they are.
func mustEscape(c byte) bool {
	return c <= ' ' || c == 0x7f || c == '%' || c == ';' || c == '?' || c == '&' || c == '#'
}

func escape(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if mustEscape(c) {
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		} else {
			b.WriteByte(c)
		}
	}
}

func unescape(s string) (string, error) {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '%' || c <= ' ' || c == 0x7f || c == '#' {
			plain = false
			break
		}
	}
	if plain {
		return s, nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) {
				return "", fmt.Errorf("truncated percent-encoding at offset %d: write %%XX with two hex digits", i)
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", fmt.Errorf("bad percent-encoding %q at offset %d: write %%XX with two hex digits", s[i:i+3], i)
			}
			out = append(out, hi<<4|lo)
			i += 2
		case c <= ' ' || c == 0x7f || c == '#':
			return "", fmt.Errorf("unescaped byte %q at offset %d: percent-encode it", c, i)
		default:
			out = append(out, c)
		}
	}
	return string(out), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
