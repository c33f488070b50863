package main

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/tinywindow/tinywindow/internal/ectest"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/awskms"
	"github.com/tinywindow/tinywindow/providers/azurekv"
	"github.com/tinywindow/tinywindow/providers/composite"
	"github.com/tinywindow/tinywindow/providers/gcpkms"
	"github.com/tinywindow/tinywindow/providers/hmac"
	"github.com/tinywindow/tinywindow/providers/pem"
	"github.com/tinywindow/tinywindow/providers/pkcs11"
	"github.com/tinywindow/tinywindow/providers/pqc"
	"github.com/tinywindow/tinywindow/providers/remote"
	"github.com/tinywindow/tinywindow/providers/vaulttransit"
)

// backendPackage is the exported shape every providers/* package has; the
// table below does not compile if one of them lacks it.
type backendPackage struct {
	scheme     string
	algorithms func() []provider.Algorithm
	open       func(context.Context, string) (provider.Key, error)
	openURI    func(context.Context, *provider.URI) (provider.Key, error)
}

var backendPackages = []backendPackage{
	{awskms.Scheme, awskms.Algorithms, awskms.Open, awskms.OpenURI},
	{azurekv.Scheme, azurekv.Algorithms, azurekv.Open, azurekv.OpenURI},
	{composite.Scheme, composite.Algorithms, composite.Open, composite.OpenURI},
	{gcpkms.Scheme, gcpkms.Algorithms, gcpkms.Open, gcpkms.OpenURI},
	{hmac.Scheme, hmac.Algorithms, hmac.Open, hmac.OpenURI},
	{pem.Scheme, pem.Algorithms, pem.Open, pem.OpenURI},
	{pkcs11.Scheme, pkcs11.Algorithms, pkcs11.Open, pkcs11.OpenURI},
	{pqc.Scheme, pqc.Algorithms, pqc.Open, pqc.OpenURI},
	{remote.Scheme, remote.Algorithms, remote.Open, remote.OpenURI},
	{vaulttransit.Scheme, vaulttransit.Algorithms, vaulttransit.Open, vaulttransit.OpenURI},
}

// TestBackendsAlike checks that every registered backend is one of the
// providers/* packages, that the registry lists the algorithms of the
// package's Algorithms, and that those are algorithms provider knows.
func TestBackendsAlike(t *testing.T) {
	byScheme := map[string]backendPackage{}
	for _, p := range backendPackages {
		if _, dup := byScheme[p.scheme]; dup {
			t.Fatalf("scheme %q is listed twice", p.scheme)
		}
		byScheme[p.scheme] = p
	}
	// The tests of this package also register internal/ectest, a
	// software backend for tests only; it is not one of providers/*.
	backends := slices.DeleteFunc(provider.Backends(), func(b provider.Backend) bool { return b.Scheme == ectest.Scheme })
	if len(backends) != len(backendPackages) {
		t.Errorf("registry has %d providers/* backends (%v), the table %d", len(backends), provider.Schemes(), len(backendPackages))
	}
	known := provider.Algorithms()
	for _, b := range backends {
		t.Run(b.Scheme, func(t *testing.T) {
			p, ok := byScheme[b.Scheme]
			if !ok {
				t.Fatalf("registered scheme %q has no providers/* package in the table", b.Scheme)
			}
			algs := p.algorithms()
			if len(algs) == 0 {
				t.Fatal("Algorithms() is empty")
			}
			if !slices.Equal(b.Algorithms, algs) {
				t.Errorf("registry lists %v, %s.Algorithms() %v", b.Algorithms, b.Scheme, algs)
			}
			for _, a := range algs {
				if !slices.Contains(known, a) {
					t.Errorf("Algorithms() has %s, which provider does not know", a)
				}
			}
			// Algorithms returns a fresh slice: a caller that edits it
			// cannot change what the backend offers.
			algs[0] = "edited"
			if slices.Contains(p.algorithms(), "edited") {
				t.Error("Algorithms() returns a slice shared with the backend")
			}
			if b.Open == nil {
				t.Fatal("registry has no Open")
			}
			// Open, OpenURI and the registry check the scheme alike: a
			// URI of another scheme is a configuration error, and the
			// failed open returns a nil Key.
			other := "not-" + b.Scheme + ":x=1"
			u, err := provider.ParseURI(other)
			if err != nil {
				t.Fatal(err)
			}
			for name, open := range map[string]func() (provider.Key, error){
				"Open":     func() (provider.Key, error) { return p.open(t.Context(), other) },
				"OpenURI":  func() (provider.Key, error) { return p.openURI(t.Context(), u) },
				"registry": func() (provider.Key, error) { return b.Open(t.Context(), u) },
			} {
				k, err := open()
				if !errors.Is(err, provider.ErrInvalidConfig) {
					t.Errorf("%s(%q) = %v, want provider.ErrInvalidConfig", name, other, err)
				}
				if k != nil {
					t.Errorf("%s(%q) returned a non-nil Key with its error", name, other)
				}
			}
		})
	}
}
