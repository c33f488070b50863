package vaulttransit

import (
	"bytes"
	"errors"
	"net"
	"net/url"
	"testing"

	"github.com/tinywindow/tinywindow/internal/cloudkey/cloudkeytest"
	"github.com/tinywindow/tinywindow/provider"
)

// FuzzParseOptions feeds arbitrary key URIs to the URI checks, which must
// never panic and must refuse with ErrInvalidConfig only; an http address
// off loopback is never accepted.
func FuzzParseOptions(f *testing.F) {
	cloudkeytest.FuzzOptions(f, []string{
		"vault:addr=https://vault:8200;mount=transit;key=orders",
		"vault:addr=http://127.0.0.1:8200;namespace=trading/;key=o.k@1;version=2?token=env:T&verify=remote&signature-algorithm=pkcs1v15",
		"vault:addr=https://v;key=k?max-attempts=10&max-backoff=5ms&pubkey-ttl=0s&token=file:/run/t",
		"vault:addr=http://vault:8200;key=k",
	}, parseOptions, func(t *testing.T, s string, o *options) {
		if !keyPattern.MatchString(o.key) || o.MaxAttempts < 1 || o.MaxAttempts > 10 || o.version < 0 {
			t.Fatalf("parseOptions(%q) accepted %+v", s, o)
		}
		if a, err := url.Parse(o.addr); err != nil || a.Scheme != "https" && a.Scheme != "http" {
			t.Fatalf("parseOptions(%q) accepted addr %q", s, o.addr)
		} else if a.Scheme == "http" && a.Hostname() != "localhost" && !isLoopback(a.Hostname()) {
			t.Fatalf("parseOptions(%q) accepted plaintext addr %q", s, o.addr)
		}
	})
}

// FuzzDecodeWire feeds arbitrary answers to the vault:vN: parser: it must
// never panic, and what it accepts must encode back to the same text.
func FuzzDecodeWire(f *testing.F) {
	f.Add("vault:v1:MEUCIQ==", 1)
	f.Add("vault:v12:", 12)
	f.Add("vault:v01:AA==", 1)
	f.Fuzz(func(t *testing.T, s string, v int) {
		sig, err := decodeWire(s, v)
		if err != nil {
			if !errors.Is(err, provider.ErrUnavailable) {
				t.Fatalf("decodeWire(%q) = %v, not ErrUnavailable", s, err)
			}
			return
		}
		if got := encodeWire(v, sig); got != s {
			t.Fatalf("decodeWire(%q) = %x, which encodes as %q", s, sig, got)
		}
		if back, err := decodeWire(encodeWire(v, sig), v); err != nil || !bytes.Equal(back, sig) {
			t.Fatalf("round trip of %x: %x, %v", sig, back, err)
		}
	})
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
