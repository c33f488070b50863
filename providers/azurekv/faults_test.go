package azurekv_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/azurekv"
)

func repeat(n int, f fault) []fault {
	out := make([]fault, n)
	for i := range out {
		out[i] = f
	}
	return out
}

// TestSignFaults injects Key Vault error answers into sign requests and
// checks the error kind, the number of requests (retries), what the message
// and the remedy (the *provider.OpError's field) say, and that the native
// error stays reachable.
func TestSignFaults(t *testing.T) {
	throttled := fault{op: "sign", status: 429, code: "Throttled", headers: map[string]string{"Retry-After": "0"}}
	for _, c := range []struct {
		name     string
		faults   []fault
		timeout  time.Duration
		want     error // nil: Sign succeeds
		requests int
		message  string
		remedy   string // a part of the remedy; "": any
	}{
		{"404 is key not found", []fault{{op: "sign", status: 404, code: "KeyNotFound"}}, 0, provider.ErrKeyNotFound, 1, "KeyNotFound", ""},
		{"403 is permission denied, not retried", []fault{{op: "sign", status: 403, code: "Forbidden"}}, 0, provider.ErrPermissionDenied, 1, "HTTP 403", "keys/sign"},
		{"400 is invalid config", []fault{{op: "sign", status: 400, code: "BadParameter"}}, 0, provider.ErrInvalidConfig, 1, "BadParameter", ""},
		{"429 twice, then success", repeat(2, throttled), 0, nil, 3, "", ""},
		{"429 with retry-after-ms, then success", []fault{{op: "sign", status: 429, code: "Throttled", headers: map[string]string{"Retry-After-Ms": "2"}}}, 0, nil, 2, "", ""},
		{"500 once, then success", []fault{{op: "sign", status: 500, code: "InternalServerError"}}, 0, nil, 2, "", ""},
		{"503 until retries run out", repeat(4, fault{op: "sign", status: 503, code: "ServiceUnavailable", headers: map[string]string{"Retry-After": "0"}}), 0, provider.ErrUnavailable, 4, "HTTP 503", ""},
		{"429 whose Retry-After passes the deadline", []fault{{op: "sign", status: 429, code: "Throttled", headers: map[string]string{"Retry-After": "30"}}}, 2 * time.Second, provider.ErrUnavailable, 1, "HTTP 429", "retry after 30s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := startVault()
			defer v.Close()
			k, err := azurekv.OpenWithOptions(t.Context(), v.uri("p256"), v.options())
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			v.inject(c.faults...)
			ctx := t.Context()
			if c.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, c.timeout)
				defer cancel()
			}
			start := time.Now()
			_, err = k.Sign(ctx, []byte("order"))
			elapsed := time.Since(start)
			switch {
			case c.want == nil && err != nil:
				t.Fatalf("Sign: %v", err)
			case c.want != nil && !errors.Is(err, c.want):
				t.Fatalf("Sign: %v, want %v", err, c.want)
			case c.want != nil && !strings.Contains(err.Error(), c.message):
				t.Errorf("error %q does not say %q", err, c.message)
			}
			if oe, ok := errors.AsType[*provider.OpError](err); c.remedy != "" && (!ok || !strings.Contains(oe.Remedy, c.remedy)) {
				t.Errorf("error %q: its remedy does not say %q", err, c.remedy)
			}
			if c.want != nil {
				var re *azcore.ResponseError
				if !errors.As(err, &re) {
					t.Errorf("the native *azcore.ResponseError is not reachable from %v", err)
				}
			}
			if n := v.count("sign"); n != c.requests {
				t.Errorf("%d sign requests, want %d", n, c.requests)
			}
			if c.timeout > 0 && elapsed > c.timeout/2 {
				t.Errorf("Sign took %v: it waited for a Retry-After past its deadline", elapsed)
			}
		})
	}
}

func TestOpenFaults(t *testing.T) {
	v := startVault()
	defer v.Close()
	if _, err := azurekv.OpenWithOptions(t.Context(), v.uri("no-such-key"), v.options()); !errors.Is(err, provider.ErrKeyNotFound) {
		t.Errorf("missing key: %v, want ErrKeyNotFound", err)
	}
	v.inject(fault{op: "get", status: 403, code: "Forbidden"})
	if _, err := azurekv.OpenWithOptions(t.Context(), v.uri("p256"), v.options()); !errors.Is(err, provider.ErrPermissionDenied) {
		t.Errorf("403 on GetKey: %v, want ErrPermissionDenied", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := azurekv.OpenWithOptions(ctx, v.uri("p256"), v.options()); !errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("cancelled context: %v, want ErrUnavailable", err)
	}
}

// TestRemoteVerifyFaults checks that a vault that cannot answer is never
// mistaken for an invalid signature.
func TestRemoteVerifyFaults(t *testing.T) {
	v := startVault()
	defer v.Close()
	k, err := azurekv.OpenWithOptions(t.Context(), v.uri("p256", "verify=remote"), v.options())
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	msg := []byte("order")
	sig, err := k.Sign(t.Context(), msg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		faults []fault
		want   error
	}{
		{"503", repeat(4, fault{op: "verify", status: 503, code: "ServiceUnavailable", headers: map[string]string{"Retry-After": "0"}}), provider.ErrUnavailable},
		{"403", []fault{{op: "verify", status: 403, code: "Forbidden"}}, provider.ErrPermissionDenied},
		{"404", []fault{{op: "verify", status: 404, code: "KeyNotFound"}}, provider.ErrKeyNotFound},
	} {
		v.inject(c.faults...)
		err := k.Verify(t.Context(), msg, sig)
		if !errors.Is(err, c.want) || errors.Is(err, provider.ErrInvalidSignature) {
			t.Errorf("%s: Verify %v, want %v and not ErrInvalidSignature", c.name, err, c.want)
		}
	}
	if err := k.Verify(t.Context(), msg, sig); err != nil {
		t.Fatalf("Verify once the vault is back: %v", err)
	}
}

// TestCancelledWhileWaiting cancels a context (without a deadline) while the
// client waits out a Retry-After.
func TestCancelledWhileWaiting(t *testing.T) {
	v := startVault()
	defer v.Close()
	k, err := azurekv.OpenWithOptions(t.Context(), v.uri("p256"), v.options())
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	v.inject(fault{op: "sign", status: 429, code: "Throttled", headers: map[string]string{"Retry-After": "30"}})
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err = k.Sign(ctx, []byte("order"))
	if !errors.Is(err, provider.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Sign: %v, want ErrUnavailable wrapping context.Canceled", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("Sign did not stop when its context was cancelled")
	}
}

func TestCredentialFaults(t *testing.T) {
	v := startVault()
	defer v.Close()
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"no credential configured", azidentity.NewCredentialUnavailableError("EnvironmentCredential: missing environment variables"), provider.ErrInvalidConfig},
		{"authentication failed", &azidentity.AuthenticationFailedError{RawResponse: &http.Response{StatusCode: http.StatusUnauthorized}}, provider.ErrPermissionDenied},
		{"token endpoint did not answer", &azidentity.AuthenticationFailedError{}, provider.ErrUnavailable},
		{"token endpoint down", errors.New("dial tcp: connection refused"), provider.ErrUnavailable},
	} {
		opts := v.options()
		opts.Credential = &fakeCredential{err: c.err}
		_, err := azurekv.OpenWithOptions(t.Context(), v.uri("p256"), opts)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: Open %v, want %v", c.name, err, c.want)
		}
	}
}
