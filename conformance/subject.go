package conformance

import (
	"context"

	"github.com/tinywindow/tinywindow/provider"
)

// Subject is the key under test.
type Subject struct {
	// Open returns a fresh handle to the key under test. The suite calls it
	// more than once (the close checks need handles of their own) and closes
	// every handle it opens.
	Open func(ctx context.Context) (provider.Key, error)

	// URI, if not empty, is the key URI that Open opens. Run records it in
	// the report with its secrets redacted.
	URI string

	// Other, if not nil, returns a handle to a different key of the same
	// algorithm; the suite checks that its signatures are rejected. When nil
	// the check is skipped, saying so.
	Other func(ctx context.Context) (provider.Key, error)

	// MaxMessage, if positive, is the largest message the backend accepts;
	// round trips over it are skipped, saying so.
	MaxMessage int

	// Goroutines is the number of goroutines of the concurrency check; zero
	// means 64.
	Goroutines int

	// OpsPerGoroutine is how many sign and verify pairs each goroutine of
	// the concurrency check makes; zero means 8. Slow keys (SLH-DSA-128s,
	// remote services) use fewer.
	OpsPerGoroutine int

	// Deviations names checks the key is known to fail, each with the
	// reason: a documented difference of an emulator from the service it
	// stands in for (local-kms signs RSA-PSS with another salt length than
	// AWS KMS, say), never a bug of the backend. Test expects each of them
	// to fail, and fails when one passes or names no check, so that the list
	// stays true. Run reports the checks as they come out.
	Deviations map[string]string
}

func (s *Subject) goroutines() int {
	if s.Goroutines > 0 {
		return s.Goroutines
	}
	return 64
}

func (s *Subject) opsPerGoroutine() int {
	if s.OpsPerGoroutine > 0 {
		return s.OpsPerGoroutine
	}
	return 8
}

// OpenURI returns a Subject.Open function that opens uri through the
// provider registry.
func OpenURI(uri string) func(ctx context.Context) (provider.Key, error) {
	return func(ctx context.Context) (provider.Key, error) { return provider.Open(ctx, uri) }
}
