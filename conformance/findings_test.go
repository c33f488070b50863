package conformance_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
	pemkey "github.com/tinywindow/tinywindow/providers/pem"
)

// pemFailing is a key whose public key cannot be exported.
type pemFailing struct{ *pemkey.Key }

func (pemFailing) PublicKeyPEM() ([]byte, error) { return nil, errors.New("token removed") }

// held is a key whose device reports its provenance.
type held struct {
	*pemkey.Key
	prov provider.Provenance
}

func (k held) Identity(context.Context) (provider.Identity, error) {
	return provider.Identity{VerifyMode: "local", Provenance: k.prov}, nil
}

// TestReportKeyIdentityAndFindings checks the key's identity (the SHA-256 of
// its SubjectPublicKeyInfo and its PEM) and the findings of a report, in
// JSON: two warnings for hmac:seed=42 (a public seed, a MAC), one for a MAC
// with a secret key, none for Ed25519, one for RSA-2048, one for a key its
// device says can be extracted, two for an imported key that could once be
// extracted, and the reason when the public key cannot be read.
func TestReportKeyIdentityAndFindings(t *testing.T) {
	_, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	heldPub, heldPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaPriv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemOf := func(priv crypto.Signer) func(context.Context) (provider.Key, error) {
		return func(context.Context) (provider.Key, error) { return pemkey.New(priv, "") }
	}
	heldAs := func(origin, extractable string) func(context.Context) (provider.Key, error) {
		return func(context.Context) (provider.Key, error) {
			k, err := pemkey.New(slices.Clone(heldPriv), "") // Close zeroes the key it takes
			return held{k, provider.Provenance{Origin: origin, Extractable: extractable}}, err
		}
	}
	tests := []struct {
		name     string
		open     func(context.Context) (provider.Key, error)
		pub      crypto.PublicKey // nil: no public key in the report
		findings []string         // a part of each finding, in order
		pubErr   string
	}{
		{name: "hmac seed", open: conformance.OpenURI("hmac:seed=42"),
			findings: []string{"public seed", "a MAC"}},
		{name: "hmac secret", open: conformance.OpenURI("hmac:key-source=env:TINYWINDOW_TEST_HMAC_KEY"),
			findings: []string{"a MAC"}},
		{name: "ed25519", open: pemOf(edPriv), pub: edPriv.Public()},
		{name: "rsa-2048", open: pemOf(rsaPriv), pub: rsaPriv.Public(),
			findings: []string{"RSA key is 2048 bits, below 3072"}},
		{name: "held, generated and never extractable", open: heldAs(provider.OriginGenerated, provider.ExtractableNo), pub: heldPub},
		{name: "held, extractable", open: heldAs(provider.OriginGenerated, provider.ExtractableYes), pub: heldPub,
			findings: []string{"can be extracted"}},
		{name: "held, imported, once extractable", open: heldAs(provider.OriginImported, provider.ExtractableOnce), pub: heldPub,
			findings: []string{"could be extracted before", "imported"}},
		{name: "held, provenance unknown", open: heldAs("", ""), pub: heldPub},
		{name: "public key unreadable", open: func(context.Context) (provider.Key, error) {
			k, err := pemkey.New(edPriv, "")
			return pemFailing{k}, err
		}, pubErr: "token removed"},
	}
	t.Setenv("TINYWINDOW_TEST_HMAC_KEY", strings.Repeat("ab", hmac.KeySize))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := conformance.Run(t.Context(), conformance.Subject{Open: tt.open, Goroutines: 2, OpsPerGoroutine: 1})
			if err != nil {
				t.Fatal(err)
			}
			var js bytes.Buffer
			if err := rep.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			var got struct {
				SHA256   string `json:"public_key_sha256"`
				PEM      string `json:"public_key_pem"`
				PubErr   string `json:"public_key_error"`
				Findings []map[string]string
			}
			if err := json.Unmarshal(js.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Findings) != len(tt.findings) {
				t.Fatalf("findings %v, want %d matching %q", got.Findings, len(tt.findings), tt.findings)
			}
			for i, want := range tt.findings {
				f := got.Findings[i]
				if f["level"] != "warn" || !strings.Contains(f["finding"], want) || f["reason"] == "" {
					t.Errorf("finding %d is %v, want a warn with a reason about %q", i, f, want)
				}
			}
			if !strings.Contains(got.PubErr, tt.pubErr) || (tt.pubErr == "") != (got.PubErr == "") {
				t.Errorf("public_key_error %q, want one holding %q", got.PubErr, tt.pubErr)
			}
			if tt.pub == nil {
				if got.SHA256 != "" || got.PEM != "" {
					t.Errorf("public key %q %q in the report of a key without one", got.SHA256, got.PEM)
				}
				return
			}
			der, err := x509.MarshalPKIXPublicKey(tt.pub)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(der)
			if got.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("public_key_sha256 %q, want %x", got.SHA256, sum)
			}
			block, rest := pem.Decode([]byte(got.PEM))
			if block == nil || block.Type != "PUBLIC KEY" || !bytes.Equal(block.Bytes, der) || len(rest) != 0 {
				t.Errorf("public_key_pem %q is not the key's SubjectPublicKeyInfo", got.PEM)
			}
		})
	}
}

// TestReportMarkdownOrder checks that the Markdown report gives the summary
// (verdict, counts, key) first, then findings and checks, and the modules
// last, and that it states each finding with its reason.
func TestReportMarkdownOrder(t *testing.T) {
	rep, err := conformance.Run(t.Context(), conformance.Subject{Open: conformance.OpenURI("hmac:seed=42"), Goroutines: 2, OpsPerGoroutine: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Modules) == 0 {
		rep.Modules = []conformance.Module{{Path: "example.com/m", Version: "v1.0.0"}}
	}
	var b bytes.Buffer
	if err := rep.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	order := []string{"**PASS**", "| Key ID | `" + rep.KeyID + "` |", "## Findings", "- **WARN**: the key is made from a public seed",
		"- **WARN**: the key is a MAC", "## Checks", "## Provenance", "## Modules"}
	at := -1
	for _, s := range order {
		i := strings.Index(md, s)
		if i <= at {
			t.Fatalf("Markdown has %q at %d, not after the %d of the part before it:\n%s", s, i, at, md)
		}
		at = i
	}
	if strings.Contains(md[at+1:], "\n#") {
		t.Errorf("Markdown has a section after the modules:\n%s", md[at:])
	}
	for _, f := range rep.Findings {
		if !strings.Contains(md, f.Reason) {
			t.Errorf("Markdown lacks the reason %q", f.Reason)
		}
	}
}
