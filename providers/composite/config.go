package composite

import (
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// The attributes of a composite URI.
var uriAttrs = []string{"alg", "pq-uri", "trad-uri", "pq", "trad", "pub-source"}

// URI returns the composite URI of algorithm alg over two component URIs,
// percent-encoding them as values.
func URI(alg provider.Algorithm, pqURI, tradURI string) string {
	u := provider.URI{Scheme: Scheme, Path: []provider.Attr{
		{Name: "alg", Value: string(alg)},
		{Name: "pq-uri", Value: pqURI},
		{Name: "trad-uri", Value: tradURI},
	}}
	return u.String()
}

// componentURI parses the URI of a component.
func componentURI(name, raw string) (*provider.URI, error) {
	u, err := provider.ParseURI(raw)
	if err != nil {
		return nil, fmt.Errorf("composite %s-uri (percent-encode its ';', '?' and '&' as %%3B, %%3F, %%26): %w", name, err)
	}
	if u.Scheme == Scheme {
		return nil, fmt.Errorf("%w: composite %s-uri is itself a composite key; a component is an ML-DSA or a classical key", provider.ErrInvalidConfig, name)
	}
	return u, nil
}
