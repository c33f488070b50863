package provider_test

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
)

func TestOpError(t *testing.T) {
	native := &fs.PathError{Op: "open", Path: "/p", Err: fs.ErrNotExist}
	tests := []struct {
		name string
		err  *provider.OpError
		want string
	}{ // errors.As must reach native (an *fs.PathError) exactly when Err holds it
		{"all parts, the remedy left out", &provider.OpError{Backend: "awskms", Op: "GenerateMac", Key: "alias/x", Kind: provider.ErrUnavailable, Err: native, Remedy: "check the endpoint"},
			"awskms GenerateMac alias/x: backend unavailable: open /p: file does not exist"},
		{"no cause", &provider.OpError{Backend: "vault", Op: "hmac", Key: "orders", Kind: provider.ErrUnavailable},
			"vault hmac orders: backend unavailable"},
		{"cause says the kind", &provider.OpError{Backend: "vault", Op: "sign", Key: "orders", Kind: provider.ErrUnavailable, Err: fmt.Errorf("%w: the answer is not vault:vN:BASE64", provider.ErrUnavailable)},
			"vault sign orders: backend unavailable: the answer is not vault:vN:BASE64"},
		{"cause says the kind later", &provider.OpError{Backend: "vault", Op: "open", Key: "orders", Kind: provider.ErrInvalidConfig, Err: fmt.Errorf("no Vault token: %w", provider.ErrInvalidConfig)},
			"vault open orders: invalid configuration: no Vault token: invalid configuration"},
		{"no op", &provider.OpError{Backend: "gcpkms", Key: "projects/p", Kind: provider.ErrClosed},
			"gcpkms projects/p: key is closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q\nwant      %q", got, tt.want)
			}
			if !errors.Is(tt.err, tt.err.Kind) {
				t.Errorf("errors.Is(err, %v) = false", tt.err.Kind)
			}
			if errors.Is(tt.err, provider.ErrInvalidSignature) {
				t.Error("errors.Is(err, ErrInvalidSignature) = true")
			}
			var pe *fs.PathError
			if got, want := errors.As(tt.err, &pe), tt.err.Err != nil && errors.Is(tt.err.Err, native); got != want {
				t.Errorf("errors.As(*fs.PathError) = %v", got)
			}
			var oe *provider.OpError
			if !errors.As(error(tt.err), &oe) || oe != tt.err {
				t.Error("errors.As(*OpError) does not find the error itself")
			}
		})
	}
}
