package azurekv_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/azurekv"
)

// TestIdentityProvenance checks the provenance an audit report learns of a
// vault key through the real azkeys client against the double: the key
// bundle's attributes in Key Vault's words, HSM or software protection, the
// rotation policy, extractable only when the vault says exportable, and an
// origin the vault never reports left unknown.
func TestIdentityProvenance(t *testing.T) {
	v := startVault()
	defer v.Close()
	yes, no := true, false
	for _, tc := range []struct {
		name, key, kty string
		policy         doubleKeyPolicy
		canLeave       string
		attrs          map[string]string // must be present with these values
		absent         []string
	}{
		{
			name: "software, default policy", key: "p256",
			attrs: map[string]string{"key-type": "EC", "protection": "software", "enabled": "true", "exportable": "not reported",
				"recovery-level": "Recoverable+Purgeable", "recoverable-days": "90", "created": "2026-01-01T00:00:00Z",
				"updated": "2026-01-01T00:00:00Z", "rotation": "disabled"},
			absent: []string{"hsm-platform", "rotate-after-create", "rotate-before-expiry", "rotation-expiry-time", "expires", "not-before", "release-policy", "managed"},
		},
		{
			name: "hsm, rotating", key: "p384", kty: "EC-HSM", policy: doubleKeyPolicy{exportable: &no, rotateAfter: "P90D", expiryTime: "P1Y"},
			attrs: map[string]string{"key-type": "EC-HSM", "protection": "hsm", "hsm-platform": "2", "exportable": "false",
				"rotation": "enabled", "rotate-after-create": "P90D", "rotation-expiry-time": "P1Y"},
		},
		{
			name: "exportable", key: "rsa2048", kty: "RSA-HSM",
			policy:   doubleKeyPolicy{exportable: &yes, releasePolicy: true, managed: true, notBefore: 1767225600, expires: 1798761600, rotateBefore: "P30D"},
			canLeave: provider.ExtractableYes,
			attrs: map[string]string{"key-type": "RSA-HSM", "protection": "hsm", "exportable": "true", "release-policy": "present", "managed": "true",
				"not-before": "2026-01-01T00:00:00Z", "expires": "2027-01-01T00:00:00Z", "rotation": "enabled", "rotate-before-expiry": "P30D"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v.setPolicy(tc.key, tc.kty, tc.policy)
			uri := v.uri(tc.key)
			if tc.key == "rsa2048" {
				uri = v.uri(tc.key, "alg=RSA-PSS-SHA256")
			}
			k, err := azurekv.OpenWithOptions(t.Context(), uri, v.options())
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			id, err := k.Identity(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			p := id.Provenance
			if p.Origin != "" || p.Extractable != tc.canLeave {
				t.Errorf("origin %q, extractable %q; want unknown, %q", p.Origin, p.Extractable, tc.canLeave)
			}
			for name, want := range tc.attrs {
				if got, ok := p.Attributes[name]; !ok || got != want {
					t.Errorf("attribute %s = %q (present %v), want %q", name, got, ok, want)
				}
			}
			for _, name := range tc.absent {
				if got, ok := p.Attributes[name]; ok {
					t.Errorf("attribute %s = %q, want none", name, got)
				}
			}
		})
	}
}

// TestIdentityErrors checks that Identity reports a failed call with its
// kind and the operation it came from, keeps the key bundle's attributes
// when only the rotation policy could not be read, names the permission
// that policy needs, and ends when its context does.
func TestIdentityErrors(t *testing.T) {
	v := startVault()
	defer v.Close()
	k, err := azurekv.OpenWithOptions(t.Context(), v.uri("p256"), v.options())
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	id := k
	for _, tc := range []struct {
		op       string
		status   int
		want     error
		op2      string
		keepsKey bool
		remedy   string
	}{
		{"get", 403, provider.ErrPermissionDenied, "GetKey", false, "keys/get"},
		{"rotationpolicy", 403, provider.ErrPermissionDenied, "GetKeyRotationPolicy", true, "keys/getrotationpolicy"},
		{"rotationpolicy", 400, provider.ErrInvalidConfig, "GetKeyRotationPolicy", true, ""},
	} {
		v.inject(fault{op: tc.op, status: tc.status, code: "Injected"})
		got, err := id.Identity(t.Context())
		var oe *provider.OpError
		if !errors.Is(err, tc.want) || !errors.As(err, &oe) || oe.Op != tc.op2 {
			t.Errorf("%s %d: Identity: %v; want %v from %s", tc.op, tc.status, err, tc.want, tc.op2)
			continue
		}
		if tc.remedy != "" && !strings.Contains(oe.Remedy, tc.remedy) {
			t.Errorf("%s %d: remedy %q does not name %s", tc.op, tc.status, oe.Remedy, tc.remedy)
		}
		if has := got.Provenance.Attributes["key-type"] == "EC"; has != tc.keepsKey {
			t.Errorf("%s %d: provenance %v; want the key bundle's attributes kept: %v", tc.op, tc.status, got.Provenance, tc.keepsKey)
		}
		if tc.keepsKey && got.Provenance.Attributes["rotation"] != "unknown" {
			t.Errorf("%s %d: rotation %q, want unknown", tc.op, tc.status, got.Provenance.Attributes["rotation"])
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	start := time.Now()
	if _, err := id.Identity(ctx); !errors.Is(err, provider.ErrUnavailable) || time.Since(start) > 5*time.Second {
		t.Fatalf("Identity with a cancelled context: %v after %v; want ErrUnavailable at once", err, time.Since(start))
	}
}
