package provider

import (
	"net/url"
	"strings"
)

// Redacted is the value that Redacted puts in place of a secret.
const Redacted = "REDACTED"

// Redacted returns the URI in canonical form with every value that is, or may
// be, a secret replaced by REDACTED, for reports and logs:
//
//   - pin-value and seed (an hmac seed is the key), and any attribute whose
//     name ends in -value, password or secret;
//   - a *-source attribute that is not env:NAME or file:PATH (a secret pasted
//     where its source belongs);
//   - the user information of a URL (https://user:password@host).
//
// Sources (env:NAME, file:PATH) name where a secret is, and are kept.
func (u *URI) Redacted() string {
	r := &URI{Scheme: u.Scheme, Path: redactAttrs(u.Path), Query: redactAttrs(u.Query)}
	return r.String()
}

func redactAttrs(attrs []Attr) []Attr {
	out := make([]Attr, len(attrs))
	for i, a := range attrs {
		out[i] = Attr{Name: a.Name, Value: redactValue(a.Name, a.Value)}
	}
	return out
}

func redactValue(name, value string) string {
	switch {
	case name == "pin-value", name == "seed",
		strings.HasSuffix(name, "-value"), strings.HasSuffix(name, "password"), strings.HasSuffix(name, "secret"):
		return Redacted
	case strings.HasSuffix(name, "-source"):
		kind, rest, _ := strings.Cut(value, ":")
		if (kind != "env" && kind != "file") || rest == "" {
			return Redacted
		}
	}
	if strings.Contains(value, "@") && strings.Contains(value, "://") {
		if p, err := url.Parse(value); err == nil && p.User != nil {
			p.User = url.User(Redacted)
			return p.String()
		}
	}
	return value
}
