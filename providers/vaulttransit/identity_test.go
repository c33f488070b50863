package vaulttransit_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
)

// TestIdentity checks what an audit report learns of a Transit key through
// the real client against the double: where the key is and the verify
// mode, and the provenance the keys endpoint reports — made in Vault or
// imported or restored, exportable or not, its rotation — with origin left
// unknown where Vault does not report imports.
func TestIdentity(t *testing.T) {
	d := startVault()
	defer d.srv.Close()
	restored := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, typ, verify string
		policy            vaultKeyPolicy
		mode              string
		made, canLeave    string
		attrs             map[string]string // must be present with these values
		absent            []string
	}{
		{
			name: "kept", typ: "ecdsa-p256", mode: "local",
			made: provider.OriginGenerated, canLeave: provider.ExtractableNo,
			attrs: map[string]string{"type": "ecdsa-p256", "exportable": "false", "allow-plaintext-backup": "false", "imported-key": "false",
				"rotation": "disabled", "latest-version": "1", "min-decryption-version": "1"},
			absent: []string{"auto-rotate-period", "imported-key-allow-rotation", "restore-time"},
		},
		{
			name: "exportable", typ: "ed25519", verify: "verify=remote", policy: vaultKeyPolicy{exportable: true, autoRotate: 30 * 24 * time.Hour}, mode: "remote",
			made: provider.OriginGenerated, canLeave: provider.ExtractableYes,
			attrs: map[string]string{"exportable": "true", "rotation": "enabled", "auto-rotate-period": "720h0m0s"},
		},
		{
			name: "plaintext backup", typ: "hmac", policy: vaultKeyPolicy{plaintextBackup: true, backedUp: restored}, mode: "remote",
			made: provider.OriginGenerated, canLeave: provider.ExtractableYes,
			attrs: map[string]string{"type": "hmac", "allow-plaintext-backup": "true", "backup-time": "2026-11-02T09:30:00Z"},
		},
		{
			name: "imported", typ: "rsa-2048", policy: vaultKeyPolicy{imported: true}, mode: "local",
			made: provider.OriginImported, canLeave: provider.ExtractableOnce,
			attrs: map[string]string{"imported-key": "true", "imported-key-allow-rotation": "false"},
		},
		{
			name: "restored", typ: "ecdsa-p256", policy: vaultKeyPolicy{restored: restored}, mode: "local",
			made: provider.OriginImported, canLeave: provider.ExtractableOnce,
			attrs: map[string]string{"imported-key": "false", "restore-time": "2026-11-02T09:30:00Z"},
		},
		{
			name: "before 1.10", typ: "ecdsa-p256", policy: vaultKeyPolicy{before110: true}, mode: "local",
			attrs: map[string]string{"imported-key": "not reported", "exportable": "false", "rotation": "not reported"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := strings.ReplaceAll(tc.name, " ", "-")
			d.addKey("transit", name, tc.typ)
			d.setPolicy("transit", name, tc.policy)
			var attrs []string
			if tc.verify != "" {
				attrs = append(attrs, tc.verify)
			}
			k, err := provider.Open(t.Context(), d.uri(name, attrs...))
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			id, err := k.(provider.Identifier).Identity(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			wantID := map[string]string{"addr": d.srv.URL, "mount": "transit", "key": name, "version": "1"}
			if id.VerifyMode != tc.mode || !maps.Equal(id.Attributes, wantID) {
				t.Errorf("verify mode %q, attributes %v; want %q, %v", id.VerifyMode, id.Attributes, tc.mode, wantID)
			}
			p := id.Provenance
			if p.Origin != tc.made || p.Extractable != tc.canLeave {
				t.Errorf("origin %q, extractable %q; want %q, %q", p.Origin, p.Extractable, tc.made, tc.canLeave)
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
			if _, err := time.Parse(time.RFC3339, p.Attributes["creation-time"]); err != nil {
				t.Errorf("creation-time %q: %v", p.Attributes["creation-time"], err)
			}
		})
	}
}

// TestIdentityNamespace checks that a key in a Vault namespace names it.
func TestIdentityNamespace(t *testing.T) {
	d := startVault()
	defer d.srv.Close()
	d.namespace = "trading/"
	d.addKey("transit", "ec", "ecdsa-p256")
	k, err := provider.Open(t.Context(), "vault:addr="+d.srv.URL+";namespace=trading/;key=ec?token=env:TW_TEST_VAULT_TOKEN")
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	id, err := k.(provider.Identifier).Identity(t.Context())
	want := map[string]string{"addr": d.srv.URL, "namespace": "trading/", "mount": "transit", "key": "ec", "version": "1"}
	if err != nil || !maps.Equal(id.Attributes, want) || id.Provenance.Origin != provider.OriginGenerated {
		t.Errorf("Identity: %+v, %v; want attributes %v and the provenance read in the namespace", id, err, want)
	}
}

// TestIdentityErrors checks that Identity reports a failed read of the key
// with its kind, and ends when its context does.
func TestIdentityErrors(t *testing.T) {
	d := startVault()
	defer d.srv.Close()
	d.addKey("transit", "ec", "ecdsa-p256")
	k, err := provider.Open(t.Context(), d.uri("ec", "max-attempts=1"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	id := k.(provider.Identifier)
	for _, tc := range []struct {
		status int
		want   error
	}{
		{http.StatusForbidden, provider.ErrPermissionDenied},
		{http.StatusServiceUnavailable, provider.ErrUnavailable},
	} {
		d.setFault(func(_ *http.Request, op string) (int, string) {
			if op == "read" {
				return tc.status, "injected by the test"
			}
			return 0, ""
		})
		_, err := id.Identity(t.Context())
		var oe *provider.OpError
		if !errors.Is(err, tc.want) || !errors.As(err, &oe) || oe.Op != "read keys" {
			t.Errorf("status %d: Identity: %v; want %v from read keys", tc.status, err, tc.want)
		}
	}
	d.setFault(func(r *http.Request, _ string) (int, string) {
		<-r.Context().Done()
		return http.StatusServiceUnavailable, "gone"
	})
	defer d.setFault(nil)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := id.Identity(ctx); !errors.Is(err, provider.ErrUnavailable) || time.Since(start) > 5*time.Second {
		t.Fatalf("Identity with a hung server: %v after %v; want ErrUnavailable when the context ends", err, time.Since(start))
	}
}

// TestReportProvenance checks that a conformance report carries what
// Identity learnt: an exportable key's provenance and the finding it raises,
// and a read that failed as the report's identity error.
func TestReportProvenance(t *testing.T) {
	d := startVault()
	defer d.srv.Close()
	d.addKey("transit", "report", "ecdsa-p256")
	d.setPolicy("transit", "report", vaultKeyPolicy{exportable: true})
	uri := d.uri("report")
	rep, err := conformance.Run(t.Context(), conformance.Subject{URI: uri, Open: conformance.OpenURI(uri), Goroutines: 2, OpsPerGoroutine: 1})
	if err != nil {
		t.Fatal(err)
	}
	if p := rep.KeyProvenance; p.Origin != provider.OriginGenerated || p.Extractable != provider.ExtractableYes || rep.IdentityError != "" {
		t.Errorf("key provenance %+v (%s); want an exportable key made in Vault", p, rep.IdentityError)
	}
	found := false
	for _, f := range rep.Findings {
		found = found || strings.Contains(f.Finding, "can be extracted")
	}
	if !found {
		t.Errorf("findings %+v; want that the key can be extracted", rep.Findings)
	}

	var reads atomic.Int32
	d.setFault(func(_ *http.Request, op string) (int, string) {
		if op == "read" {
			if reads.Add(1) > 1 { // let the key open, then deny reading it
				return http.StatusForbidden, "permission denied"
			}
		}
		return 0, ""
	})
	defer d.setFault(nil)
	rep, err = conformance.Run(t.Context(), conformance.Subject{URI: uri, Open: conformance.OpenURI(uri), Goroutines: 2, OpsPerGoroutine: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rep.IdentityError, "vault read keys report") || !strings.Contains(rep.IdentityError, "permission denied") {
		t.Errorf("identity error %q; want the denied read", rep.IdentityError)
	}
}
