package awskms_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
)

// TestKMSStoppedMidRun stops a local-kms of the test's own between calls.
func TestKMSStoppedMidRun(t *testing.T) {
	l := newPrivateKMS(t)
	ctx := t.Context()
	open := func(alias string, q ...string) provider.Key {
		t.Helper()
		k, err := provider.Open(ctx, l.URI(alias, append([]string{"max-attempts=2", "max-backoff=10ms"}, q...)...))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.Close() })
		return k
	}
	ecLocal, ecRemote, mac := open("alias/tw-p256-a"), open("alias/tw-p256-a", "verify=remote"), open("alias/tw-hmac-b")
	msg := []byte("order 1")
	sig, err := ecLocal.Sign(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := mac.Sign(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}

	l.Stop()

	_, err = ecLocal.Sign(ctx, msg)
	testenv.NotInvalid(t, "Sign with KMS stopped", err, provider.ErrUnavailable)
	var maxAttempts *retry.MaxAttemptsError
	if !errors.As(err, &maxAttempts) || maxAttempts.Attempt != 2 {
		t.Errorf("Sign with KMS stopped: want the SDK to give up after max-attempts=2, got %v", err)
	}
	testenv.NotInvalid(t, "remote Verify with KMS stopped", ecRemote.Verify(ctx, msg, sig), provider.ErrUnavailable)
	testenv.NotInvalid(t, "VerifyMac of a valid tag with KMS stopped", mac.Verify(ctx, msg, tag), provider.ErrUnavailable)
	bad := append([]byte(nil), tag...)
	bad[0] ^= 1
	testenv.NotInvalid(t, "VerifyMac of a forged tag with KMS stopped", mac.Verify(ctx, msg, bad), provider.ErrUnavailable)
	if err := ecLocal.Verify(ctx, msg, sig); err != nil {
		t.Errorf("local Verify needs no KMS, but with KMS stopped it returned %v", err)
	}
	_, err = provider.Open(ctx, l.URI("alias/tw-p256-a", "max-attempts=1"))
	testenv.NotInvalid(t, "Open with KMS stopped", err, provider.ErrUnavailable)
}

// TestDisabledKey disables a key under open handles.
func TestDisabledKey(t *testing.T) {
	l := needKMS(t)
	ctx := t.Context()
	c := l.Client()
	const alias = "alias/tw-disabled"
	local, err := provider.Open(ctx, l.URI(alias))
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	remote, err := provider.Open(ctx, l.URI(alias, "verify=remote"))
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()
	msg := []byte("before")
	sig, err := local.Sign(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	id := seedKeys[8].id // DisableKey takes no alias
	if _, err := c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	defer c.EnableKey(context.WithoutCancel(ctx), &kms.EnableKeyInput{KeyId: aws.String(id)})

	_, err = local.Sign(ctx, msg)
	testenv.NotInvalid(t, "Sign with a disabled key", err, provider.ErrUnavailable)
	var disabled *types.DisabledException
	if !errors.As(err, &disabled) {
		t.Errorf("Sign with a disabled key: the SDK's DisabledException is not reachable in %v", err)
	}
	testenv.NotInvalid(t, "remote Verify with a disabled key", remote.Verify(ctx, msg, sig), provider.ErrUnavailable)
	if err := local.Verify(ctx, msg, sig); err != nil {
		t.Errorf("local Verify with the cached public key of a disabled key: %v", err)
	}
	_, err = provider.Open(ctx, l.URI(alias))
	testenv.NotInvalid(t, "Open of a disabled key", err, provider.ErrUnavailable)
	if err != nil && !strings.Contains(err.Error(), "Disabled") {
		t.Errorf("Open of a disabled key does not say it is disabled: %v", err)
	}
}

// faultProxy stands between the backend and local-kms and, on demand, holds
// requests until the caller gives up, or answers them with the error
// responses KMS gives under load or for a refused permission, which
// local-kms never gives. It counts the requests it sees.
type faultProxy struct {
	srv      *httptest.Server
	mode     atomic.Value // "pass", "hang", "throttle", "internal", "denied"
	release  chan struct{}
	requests atomic.Int64
}

func newFaultProxy(t *testing.T, l *localKMS) *faultProxy {
	target, err := url.Parse(l.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	p := &faultProxy{release: make(chan struct{})}
	p.mode.Store("pass")
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		answer := func(status int, code string) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(status)
			w.Write([]byte(`{"__type":"` + code + `","message":"injected by the test"}`))
		}
		switch p.mode.Load().(string) {
		case "hang":
			// Read the request, so the server notices the client hang up.
			io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-p.release:
			}
		case "throttle":
			answer(http.StatusBadRequest, "ThrottlingException")
		case "internal":
			answer(http.StatusInternalServerError, "KMSInternalException")
		case "denied":
			answer(http.StatusBadRequest, "AccessDeniedException")
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(func() {
		close(p.release)
		p.srv.Close()
	})
	return p
}

func (p *faultProxy) URI(keyID string, query ...string) string {
	return "awskms:key-id=" + keyID + ";region=" + testRegion + "?endpoint=" + p.srv.URL + strings.Join(append([]string{""}, query...), "&")
}

// TestDeadlineShorterThanCall holds KMS's answer past the caller's deadline.
func TestDeadlineShorterThanCall(t *testing.T) {
	l := needKMS(t)
	p := newFaultProxy(t, l)
	ctx := t.Context()
	keys := map[string]provider.Key{}
	for name, uri := range map[string]string{
		"ECDSA":        p.URI("alias/tw-p256-a"),
		"ECDSA remote": p.URI("alias/tw-p256-a", "verify=remote"),
		"HMAC":         p.URI("alias/tw-hmac-b"),
	} {
		k, err := provider.Open(ctx, uri)
		if err != nil {
			t.Fatal(err)
		}
		defer k.Close()
		keys[name] = k
	}
	msg := []byte("late")
	sig, err := keys["ECDSA"].Sign(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := keys["HMAC"].Sign(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	p.mode.Store("hang")
	for _, tc := range []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Sign", func(ctx context.Context) error { _, err := keys["ECDSA"].Sign(ctx, msg); return err }},
		{"remote Verify", func(ctx context.Context) error { return keys["ECDSA remote"].Verify(ctx, msg, sig) }},
		{"VerifyMac", func(ctx context.Context) error { return keys["HMAC"].Verify(ctx, msg, tag) }},
		{"GenerateMac", func(ctx context.Context) error { _, err := keys["HMAC"].Sign(ctx, msg); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			err := tc.call(cctx)
			testenv.NotInvalid(t, tc.name+" past its deadline", err, provider.ErrUnavailable)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s past its deadline: context.DeadlineExceeded is not reachable in %v", tc.name, err)
			}
		})
	}
}

// TestRetriesAndErrorMapping checks how KMS's error answers map onto the
// taxonomy, and that retryable ones are retried max-attempts times, no more.
func TestRetriesAndErrorMapping(t *testing.T) {
	l := needKMS(t)
	p := newFaultProxy(t, l)
	ctx := t.Context()
	k, err := provider.Open(ctx, p.URI("alias/tw-p256-a", "max-attempts=3", "max-backoff=5ms"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	for _, tc := range []struct {
		mode     string
		kind     error
		attempts int64
	}{
		{"throttle", provider.ErrUnavailable, 3},
		{"internal", provider.ErrUnavailable, 3},
		{"denied", provider.ErrPermissionDenied, 1},
		{"pass", nil, 1},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			p.mode.Store(tc.mode)
			p.requests.Store(0)
			_, err := k.Sign(ctx, []byte("x"))
			if tc.kind == nil {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				testenv.NotInvalid(t, "Sign answered "+tc.mode, err, tc.kind)
			}
			if got := p.requests.Load(); got != tc.attempts {
				t.Errorf("KMS saw %d requests, want %d", got, tc.attempts)
			}
		})
	}
}
