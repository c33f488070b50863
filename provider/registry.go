package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Backend describes a registered backend: its URI scheme, the algorithms it
// offers, and the functions that open and create its keys.
type Backend struct {
	// Scheme is the key URI scheme, such as "hmac" or "pkcs11".
	Scheme string
	// Description is a one-line summary for `tinywindow providers`.
	Description string
	// Algorithms lists the algorithms the backend can offer.
	Algorithms []Algorithm
	// Open opens the key named by a URI whose scheme is Scheme.
	Open func(ctx context.Context, u *URI) (Key, error)
	// Generate, if not nil, creates (or imports) the key named by a URI and
	// returns its description. It backs `tinywindow keygen --signer URI`.
	Generate func(ctx context.Context, u *URI, req GenerateRequest) (KeyInfo, error)
}

// GenerateRequest says what key Backend.Generate should create.
type GenerateRequest struct {
	// Algorithm is the algorithm of the new key; empty means the backend's
	// default.
	Algorithm Algorithm
	// Import, if not empty, is a secret source (env:NAME or file:PATH)
	// holding hex key material to import instead of generating a key.
	Import string
}

var registry struct {
	sync.RWMutex
	backends map[string]Backend
}

// Register makes a backend available under its scheme. It is meant to be
// called from the backend package's init function, and panics if the scheme
// is invalid, already registered, or has no Open function.
func Register(b Backend) {
	if !ValidScheme(b.Scheme) {
		panic(fmt.Sprintf("provider: Register of invalid scheme %q", b.Scheme))
	}
	if b.Open == nil {
		panic("provider: Register of scheme " + b.Scheme + " without an Open function")
	}
	registry.Lock()
	defer registry.Unlock()
	if registry.backends == nil {
		registry.backends = make(map[string]Backend)
	}
	if _, dup := registry.backends[b.Scheme]; dup {
		panic("provider: Register called twice for scheme " + b.Scheme)
	}
	b.Algorithms = slices.Clone(b.Algorithms)
	registry.backends[b.Scheme] = b
}

// Lookup returns the backend registered for scheme.
func Lookup(scheme string) (Backend, bool) {
	registry.RLock()
	defer registry.RUnlock()
	b, ok := registry.backends[scheme]
	return b, ok
}

// Backends returns the registered backends, sorted by scheme.
func Backends() []Backend {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]Backend, 0, len(registry.backends))
	for _, b := range registry.backends {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b Backend) int { return strings.Compare(a.Scheme, b.Scheme) })
	return out
}

// Schemes returns the registered schemes, sorted.
func Schemes() []string {
	bs := Backends()
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.Scheme
	}
	return out
}

// Open parses uri and opens the key it names with the backend registered for
// its scheme.
func Open(ctx context.Context, uri string) (Key, error) {
	u, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return OpenURI(ctx, u)
}

// OpenURI opens the key named by a parsed URI.
func OpenURI(ctx context.Context, u *URI) (Key, error) {
	b, err := backendFor(u)
	if err != nil {
		return nil, err
	}
	return b.Open(ctx, u)
}

// Generate creates or imports the key named by uri, with the backend
// registered for its scheme.
func Generate(ctx context.Context, uri string, req GenerateRequest) (KeyInfo, error) {
	u, err := ParseURI(uri)
	if err != nil {
		return KeyInfo{}, err
	}
	b, err := backendFor(u)
	if err != nil {
		return KeyInfo{}, err
	}
	if b.Generate == nil {
		return KeyInfo{}, fmt.Errorf("%w: backend %q cannot create keys", ErrUnsupported, u.Scheme)
	}
	return b.Generate(ctx, u, req)
}

func backendFor(u *URI) (Backend, error) {
	b, ok := Lookup(u.Scheme)
	if !ok {
		return Backend{}, fmt.Errorf("%w: unknown scheme %q in key URI; registered schemes: %s (import the backend package to register it)",
			ErrInvalidConfig, u.Scheme, strings.Join(Schemes(), ", "))
	}
	return b, nil
}
