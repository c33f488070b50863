package provider_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/internal/ectest"
	"github.com/tinywindow/tinywindow/provider"
)

func init() { ectest.Register() }

func TestRegistry(t *testing.T) {
	if !slices.Contains(provider.Schemes(), "ectest") {
		t.Fatalf("Schemes() = %v", provider.Schemes())
	}
	k, err := provider.Open(context.Background(), "ectest:")
	if err != nil {
		t.Fatal(err)
	}
	if k.Info().Backend != "ectest" {
		t.Fatalf("Info = %+v", k.Info())
	}
	_, err = provider.Open(context.Background(), "nosuch:a=b")
	if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), "ectest") {
		t.Errorf("unknown scheme: %v (should list the registered ones)", err)
	}
	if _, err := provider.Generate(context.Background(), "ectest:", provider.GenerateRequest{}); !errors.Is(err, provider.ErrUnsupported) {
		t.Errorf("Generate without support: %v", err)
	}
}

func TestRegisterPanics(t *testing.T) {
	open := func(context.Context, *provider.URI) (provider.Key, error) { return nil, nil }
	for _, b := range []provider.Backend{
		{Scheme: "ectest", Open: open},
		{Scheme: "Bad", Open: open},
		{Scheme: "noopen"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", b.Scheme)
				}
			}()
			provider.Register(b)
		}()
	}
}

// The suite passes on the standard library's ECDSA, which exercises the
// public-key checks that the HMAC backend skips.
func TestConformanceOnStdlibECDSA(t *testing.T) {
	conformance.Test(t, conformance.Subject{
		Open: func(context.Context) (provider.Key, error) {
			return sharedEC.Reopen(), nil
		},
		Other: func(context.Context) (provider.Key, error) { return ectest.New(), nil },
	})
}

var sharedEC = ectest.New()
