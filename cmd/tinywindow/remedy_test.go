package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
)

// TestErrorfRemedies checks that an error line ends with the remedy of
// each *provider.OpError among the arguments, each remedy once, however
// deep the OpError is wrapped, and with nothing when none has one.
func TestErrorfRemedies(t *testing.T) {
	denied := &provider.OpError{Backend: "vault", Op: "sign", Key: "orders", Kind: provider.ErrPermissionDenied, Remedy: "renew the token"}
	missing := &provider.OpError{Backend: "awskms", Op: "DescribeKey", Key: "alias/x", Kind: provider.ErrKeyNotFound, Remedy: "check key-id, 100% sure"}
	bare := &provider.OpError{Backend: "pkcs11", Op: "C_Sign", Key: "k", Kind: provider.ErrUnavailable}
	for _, tc := range []struct {
		name   string
		format string
		args   []any
		want   string
	}{
		{"an OpError", "sign: %v", []any{denied},
			"tinywindow: sign: vault sign orders: permission denied (renew the token)\n"},
		{"a wrapped OpError", "sign: %v", []any{fmt.Errorf("opening --signer: %w", missing)},
			"tinywindow: sign: opening --signer: awskms DescribeKey alias/x: key not found (check key-id, 100% sure)\n"},
		{"two, one remedy each", "%v; %v", []any{denied, errors.Join(missing, denied)},
			"tinywindow: vault sign orders: permission denied; awskms DescribeKey alias/x: key not found\nvault sign orders: permission denied (renew the token) (check key-id, 100% sure)\n"},
		{"one remedy twice", "%v / %v", []any{denied, denied},
			"tinywindow: vault sign orders: permission denied / vault sign orders: permission denied (renew the token)\n"},
		{"no remedy", "sign: %v", []any{bare},
			"tinywindow: sign: pkcs11 C_Sign k: backend unavailable\n"},
		{"no error", "bench: --size %d", []any{7},
			"tinywindow: bench: --size 7\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := (&env{stderr: &stderr}).errorf(tc.format, tc.args...); code != exitError {
				t.Errorf("errorf returned %d, want %d", code, exitError)
			}
			if got := stderr.String(); got != tc.want {
				t.Errorf("stderr:\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

// TestRemedyOfABackend checks that tinywindow prints the remedy a backend
// gives with its error: a KMS alias that does not exist.
func TestRemedyOfABackend(t *testing.T) {
	prefix, query := localKMS(t)
	code, _, errOut := run(t, "order", "sign", "--signer", prefix+"alias/tw-no-such-key"+query)
	const remedy = " (check key-id, region and endpoint: the key or alias does not exist there)\n"
	if code != exitError || !strings.HasPrefix(errOut, "tinywindow: ") || !strings.Contains(errOut, "awskms DescribeKey alias/tw-no-such-key: key not found: ") || !strings.HasSuffix(errOut, remedy) {
		t.Fatalf("sign with a missing key: exit %d, stderr %q; want %d and a line ending with %q", code, errOut, exitError, remedy)
	}
}
