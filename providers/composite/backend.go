package composite

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tinywindow/tinywindow/config"
	"github.com/tinywindow/tinywindow/provider"
)

// Scheme is the key URI scheme of this backend.
const Scheme = "composite"

func init() {
	provider.Register(provider.Backend{
		Scheme:      Scheme,
		Description: "composite ML-DSA (" + Draft + "): an ML-DSA key and a classical key, each from any backend, signing as one",
		Algorithms:  Algorithms(),
		Open:        OpenURI,
	})
	config.RegisterKeyRefs(Scheme,
		config.KeyRef{Name: "pq", URIAttr: "pq-uri"},
		config.KeyRef{Name: "trad", URIAttr: "trad-uri"},
	)
}

// Open opens the composite key named by a URI of the form
//
//	composite:alg=ALG;pq-uri=URI;trad-uri=URI
//
// where ALG is a composite algorithm of the draft (such as
// MLDSA65-ECDSA-P256-SHA512) and each URI names a component key of any
// backend, with its ';', '?' and '&' percent-encoded (URI builds such a
// string). The ML-DSA component's URI gets ctx=LABEL added, the draft's
// label for ALG. In a configuration file, pq=NAME and trad=NAME name keys of
// the file's keys: map instead; config.ResolveSigner replaces them with
// pq-uri and trad-uri. A verify-only key, such as a venue holds, is named by
// its PEM public key (as `tinywindow pubkey` writes it):
//
//	composite:[alg=ALG;]pub-source=file:PATH|env:NAME
//
// The key is a [*Key].
func Open(ctx context.Context, uri string) (provider.Key, error) {
	u, err := provider.ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return OpenURI(ctx, u)
}

// OpenURI is [Open] for a parsed [provider.URI].
func OpenURI(ctx context.Context, u *provider.URI) (provider.Key, error) {
	k, err := openURI(ctx, u)
	if err != nil {
		return nil, err
	}
	return k, nil
}

func openURI(ctx context.Context, u *provider.URI) (*Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	if err := u.Check(Scheme, uriAttrs...); err != nil {
		return nil, err
	}
	if src, ok := u.Get("pub-source"); ok {
		return openPublic(u, src)
	}
	algName, ok := u.Get("alg")
	if !ok {
		return nil, fmt.Errorf("%w: composite URI has no alg=; write composite:alg=%s;pq-uri=...;trad-uri=... (one of %v)", provider.ErrInvalidConfig, MLDSA65ECDSAP256SHA512, Algorithms())
	}
	c, err := lookup(algName)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"pq", "trad"} {
		if v, ok := u.Get(name); ok {
			return nil, fmt.Errorf("%w: composite %s=%q names a key of a config file's keys: map, and no config file resolved it; pass --config FILE, or give %s-uri= with the component's percent-encoded URI",
				provider.ErrInvalidConfig, name, v, name)
		}
	}
	pqRaw, okPQ := u.Get("pq-uri")
	tradRaw, okTrad := u.Get("trad-uri")
	if !okPQ || !okTrad {
		return nil, fmt.Errorf("%w: composite URI needs both pq-uri= (the ML-DSA key) and trad-uri= (the classical key)", provider.ErrInvalidConfig)
	}
	pqU, err := componentURI("pq", pqRaw)
	if err != nil {
		return nil, err
	}
	tradU, err := componentURI("trad", tradRaw)
	if err != nil {
		return nil, err
	}
	if pqU.String() == tradU.String() {
		return nil, fmt.Errorf("%w: composite pq-uri and trad-uri name the same key; a composite key is made of two different keys", provider.ErrInvalidConfig)
	}
	if v, ok := pqU.Get("ctx"); ok && v != c.label {
		return nil, fmt.Errorf("%w: composite %s: the ML-DSA component's ctx=%q; the draft fixes it to %q: drop ctx= from pq-uri", provider.ErrInvalidConfig, c.name, v, c.label)
	}
	pqU.Set("ctx", c.label)

	pq, err := provider.OpenURI(ctx, pqU)
	if err != nil {
		if errors.Is(err, provider.ErrInvalidConfig) && strings.Contains(err.Error(), `"ctx"`) {
			return nil, fmt.Errorf("composite %s: the ML-DSA component's backend %q cannot sign with an ML-DSA context string (ctx=), which the draft requires: %w", c.name, pqU.Scheme, err)
		}
		return nil, fmt.Errorf("composite %s: opening the ML-DSA component (%s): %w", c.name, pqU.Scheme, err)
	}
	trad, err := provider.OpenURI(ctx, tradU)
	if err != nil {
		pq.Close()
		return nil, fmt.Errorf("composite %s: opening the classical component (%s): %w", c.name, tradU.Scheme, err)
	}
	k, err := New(ctx, c.name, pq, trad)
	if err != nil {
		pq.Close()
		trad.Close()
		return nil, err
	}
	return k, nil
}

// openPublic opens the verify-only key of a pub-source URI.
func openPublic(u *provider.URI, src string) (*Key, error) {
	for _, a := range []string{"pq-uri", "trad-uri", "pq", "trad"} {
		if u.Has(a) {
			return nil, fmt.Errorf("%w: composite URI has both pub-source= and %s=; a verify-only key is named by its public key alone", provider.ErrInvalidConfig, a)
		}
	}
	data, err := provider.ReadPublic(src, MaxPublicKeyPEMSize)
	if err != nil {
		return nil, err
	}
	pub, err := ParsePublicKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("composite pub-source=%s: %w", src, err)
	}
	if alg, ok := u.Get("alg"); ok && !strings.EqualFold(alg, string(pub.Algorithm)) {
		return nil, fmt.Errorf("%w: composite pub-source holds a %s key, not %s; drop alg= or make it match", provider.ErrInvalidConfig, pub.Algorithm, alg)
	}
	return NewVerifier(pub)
}
