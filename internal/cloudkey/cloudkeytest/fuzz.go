package cloudkeytest

import (
	"errors"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
)

// FuzzOptions feeds key URIs grown from seeds to parse, a backend's parser
// of its URI attributes, which must never panic and must refuse with
// [provider.ErrInvalidConfig] only; check fails t if the options it
// accepted from s break a rule the parser promises.
func FuzzOptions[O any](f *testing.F, seeds []string, parse func(*provider.URI) (O, error), check func(t *testing.T, s string, o O)) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := provider.ParseURI(s)
		if err != nil {
			return
		}
		o, err := parse(u)
		if err != nil {
			if !errors.Is(err, provider.ErrInvalidConfig) {
				t.Fatalf("parseOptions(%q) = %v, not ErrInvalidConfig", s, err)
			}
			return
		}
		check(t, s, o)
	})
}
