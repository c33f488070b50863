// Package cloudkeytest holds what the tests of the backends that call a
// service or a token share: the check that an error is the
// *provider.OpError of its backend with the message shape every backend
// shares, and the fuzz target of a backend's URI attribute parser.
package cloudkeytest

import (
	"errors"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
)

// CheckOpError fails t unless err's message starts with prefix and ends
// with suffix, err holds a *provider.OpError of backend whose Remedy is
// remedy, and a native error of type N is reachable with errors.As exactly
// when native is true.
func CheckOpError[N error](t testing.TB, err error, backend, prefix, suffix, remedy string, native bool) {
	t.Helper()
	if err == nil || !strings.HasPrefix(err.Error(), prefix) || !strings.HasSuffix(err.Error(), suffix) {
		t.Fatalf("error:\n%v\nwant it to start with %q and end with %q", err, prefix, suffix)
	}
	var oe *provider.OpError
	if !errors.As(err, &oe) || oe.Backend != backend {
		t.Errorf("no *provider.OpError of %s in %v", backend, err)
	} else if oe.Remedy != remedy {
		t.Errorf("remedy %q, want %q", oe.Remedy, remedy)
	}
	var n N
	if got := errors.As(err, &n); got != native {
		t.Errorf("native %T reachable = %v, want %v", n, got, native)
	}
}
