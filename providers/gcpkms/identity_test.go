package gcpkms_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/kms/apiv1/kmspb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
)

// TestIdentity checks what an audit report learns of a Cloud KMS key
// through the real client against the double: the key version and where it
// lives, the verify mode, and the provenance Cloud KMS reports — generated,
// imported, or held outside Google (unknown rather than assumed) — and that
// Cloud KMS does not rotate signing and MAC keys by schedule.
func TestIdentity(t *testing.T) {
	d, stop := startDouble()
	defer stop()
	const extURI = "https://ekm.example.com/v0/keys/orders"
	for _, tc := range []struct {
		name     string
		alg      kmspb.CryptoKeyVersion_CryptoKeyVersionAlgorithm
		level    kmspb.ProtectionLevel
		job, ext string
		mode     string
		made     string
		canLeave string
		attrs    map[string]string // must be present with these values
		present  []string          // must be present
		absent   []string          // must not be present
	}{
		{
			name: "generated", alg: kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256, level: kmspb.ProtectionLevel_HSM,
			mode: "local", made: provider.OriginGenerated, canLeave: provider.ExtractableNo,
			attrs: map[string]string{"state": "ENABLED", "protection-level": "HSM", "algorithm": "EC_SIGN_P256_SHA256", "rotation": "not supported", "import-only": "false",
				"attestation-format": "CAVIUM_V2_COMPRESSED"},
			present: []string{"create-time", "generate-time"},
			absent:  []string{"import-job", "import-time", "rotation-period", "next-rotation-time", "external-key-uri"},
		},
		{
			name: "imported", alg: kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256, level: kmspb.ProtectionLevel_SOFTWARE,
			job:  testRing + "/importJobs/byok-1",
			mode: "local", made: provider.OriginImported, canLeave: provider.ExtractableOnce,
			attrs:   map[string]string{"protection-level": "SOFTWARE", "import-job": testRing + "/importJobs/byok-1"},
			present: []string{"import-time"},
			absent:  []string{"generate-time", "attestation-format"},
		},
		{
			name: "external", alg: kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256, level: kmspb.ProtectionLevel_EXTERNAL, ext: extURI,
			mode:   "local",
			attrs:  map[string]string{"protection-level": "EXTERNAL", "external-key-uri": extURI},
			absent: []string{"generate-time", "import-job"},
		},
		{
			name: "mac", alg: kmspb.CryptoKeyVersion_HMAC_SHA256, level: kmspb.ProtectionLevel_HSM,
			mode: "remote", made: provider.OriginGenerated, canLeave: provider.ExtractableNo,
			attrs:   map[string]string{"algorithm": "HMAC_SHA256", "rotation": "not supported"},
			present: []string{"create-time", "generate-time"},
			absent:  []string{"rotation-period", "next-rotation-time"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := d.addKey("id-"+strings.ReplaceAll(tc.name, " ", "-"), tc.alg)
			version := key + "/cryptoKeyVersions/1"
			d.setProvenance(version, tc.level, tc.job, tc.ext)
			k, err := provider.Open(t.Context(), d.uri(key))
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			id, err := k.(provider.Identifier).Identity(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			wantID := map[string]string{"key-version": version, "crypto-key": key, "project": "tw-test", "location": "europe-west2", "key-ring": "orders", "endpoint": d.addr}
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
			for _, name := range tc.present {
				if _, err := time.Parse(time.RFC3339, p.Attributes[name]); err != nil {
					t.Errorf("attribute %s = %q, want an RFC 3339 time: %v", name, p.Attributes[name], err)
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
// kind and the RPC it came from, keeps what it learnt before the failure,
// and ends when its context does.
func TestIdentityErrors(t *testing.T) {
	d, stop := startDouble()
	defer stop()
	key := d.addKey("id-err", kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256)
	k, err := provider.Open(t.Context(), d.uri(key, "max-attempts=2", "max-backoff=5ms"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	id := k.(provider.Identifier)
	for _, tc := range []struct {
		name, method string
		code         codes.Code
		want         error
		keepsState   bool
	}{
		{"version denied", "GetCryptoKeyVersion", codes.PermissionDenied, provider.ErrPermissionDenied, false},
		{"key denied", "GetCryptoKey", codes.PermissionDenied, provider.ErrPermissionDenied, true},
		{"key unavailable", "GetCryptoKey", codes.Unavailable, provider.ErrUnavailable, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d.setFault(func(_ context.Context, m string) error {
				if m == tc.method {
					return status.Error(tc.code, "injected by the test")
				}
				return nil
			})
			defer d.setFault(nil)
			got, err := id.Identity(t.Context())
			var oe *provider.OpError
			if !errors.Is(err, tc.want) || !errors.As(err, &oe) || oe.Op != tc.method || status.Code(err) != tc.code {
				t.Fatalf("Identity: %v; want %v from %s keeping the gRPC status", err, tc.want, tc.method)
			}
			if has := got.Provenance.Attributes["state"] == "ENABLED"; has != tc.keepsState {
				t.Errorf("provenance %v; want the version's state kept: %v", got.Provenance, tc.keepsState)
			}
		})
	}
	t.Run("context done", func(t *testing.T) {
		d.setFault(func(ctx context.Context, _ string) error {
			<-ctx.Done()
			return ctx.Err()
		})
		defer d.setFault(nil)
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := id.Identity(ctx)
		if !errors.Is(err, provider.ErrUnavailable) || time.Since(start) > 5*time.Second {
			t.Fatalf("Identity with a hung service: %v after %v; want ErrUnavailable when the context ends", err, time.Since(start))
		}
	})
}

// TestReportProvenance checks that a conformance report carries what
// Identity learnt: an imported version's provenance and the findings it
// raises, and a call that failed as the report's identity error.
func TestReportProvenance(t *testing.T) {
	d, stop := startDouble()
	defer stop()
	key := d.addKey("report", kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256)
	d.setProvenance(key+"/cryptoKeyVersions/1", kmspb.ProtectionLevel_HSM, testRing+"/importJobs/byok-1", "")
	d.setFault(func(_ context.Context, m string) error {
		if m == "GetCryptoKey" {
			return status.Error(codes.PermissionDenied, "injected by the test")
		}
		return nil
	})
	defer d.setFault(nil)
	uri := d.uri(key)
	rep, err := conformance.Run(t.Context(), conformance.Subject{URI: uri, Open: conformance.OpenURI(uri), Goroutines: 2, OpsPerGoroutine: 1, MaxMessage: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	p := rep.KeyProvenance
	if p.Origin != provider.OriginImported || p.Extractable != provider.ExtractableOnce || p.Attributes["import-job"] == "" {
		t.Errorf("key provenance %+v; want the imported version's", p)
	}
	if !strings.HasPrefix(rep.IdentityError, "gcpkms GetCryptoKey "+key) || !strings.Contains(rep.IdentityError, "permission denied") {
		t.Errorf("identity error %q; want the GetCryptoKey denial", rep.IdentityError)
	}
	var findings []string
	for _, f := range rep.Findings {
		findings = append(findings, f.Finding)
	}
	if all := strings.Join(findings, "\n"); !strings.Contains(all, "was imported") || !strings.Contains(all, "could be extracted before") {
		t.Errorf("findings %q; want the imported key's two", findings)
	}
}
