//go:build !cgo || nopkcs11

package pkcs11

import (
	"context"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// errNoCgo is returned by every operation of a build without PKCS#11 support.
var errNoCgo = fmt.Errorf("%w: the pkcs11 backend needs cgo: this binary was built without it (CGO_ENABLED=0 or -tags nopkcs11); rebuild with CGO_ENABLED=1, a C compiler and without the nopkcs11 tag", provider.ErrUnsupported)

func init() {
	provider.Register(provider.Backend{
		Scheme:      Scheme,
		Description: "keys in a PKCS#11 HSM (not in this build: it needs cgo)",
		Algorithms:  Algorithms(),
		Open:        OpenURI,
		Generate:    generate,
	})
}

// Open always fails in a build without cgo: the error says cgo is required.
func Open(ctx context.Context, uri string) (provider.Key, error) {
	u, err := provider.ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return OpenURI(ctx, u)
}

// OpenURI is [Open] for a parsed [provider.URI]; it always fails in a build without cgo.
func OpenURI(_ context.Context, u *provider.URI) (provider.Key, error) {
	if _, err := ParseConfig(u); err != nil {
		return nil, fmt.Errorf("%w (and: %w)", errNoCgo, err)
	}
	return nil, errNoCgo
}

func generate(_ context.Context, u *provider.URI, _ provider.GenerateRequest) (provider.KeyInfo, error) {
	return provider.KeyInfo{}, errNoCgo
}
