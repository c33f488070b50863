//go:build !cgo || nopkcs11

package pkcs11

import (
	"errors"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
)

// TestNoCgo checks that a build without cgo still registers the scheme, and
// that opening or creating a key says cgo is required.
func TestNoCgo(t *testing.T) {
	if _, ok := provider.Lookup(Scheme); !ok {
		t.Fatal("scheme pkcs11 is not registered")
	}
	const uri = "pkcs11:token=t;object=o?module-path=/usr/lib/softhsm/libsofthsm2.so"
	_, err := provider.Open(t.Context(), uri)
	if !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "cgo") {
		t.Fatalf("Open: %v, want ErrUnsupported saying cgo is required", err)
	}
	_, err = provider.Generate(t.Context(), uri, provider.GenerateRequest{})
	if !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "cgo") {
		t.Fatalf("Generate: %v, want ErrUnsupported saying cgo is required", err)
	}
}
