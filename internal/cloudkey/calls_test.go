package cloudkey_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/internal/cloudkey"
	"github.com/tinywindow/tinywindow/provider"
)

func TestParseCalls(t *testing.T) {
	defaults := cloudkey.Calls{MaxAttempts: 3, MaxBackoff: time.Second, PubKeyTTL: time.Hour}
	tests := []struct {
		uri     string
		want    cloudkey.Calls
		wantErr string // "" for success; else a part of the message
	}{
		{"x:k=1", defaults, ""},
		{"x:k=1?verify=remote&max-attempts=10&max-backoff=1ms&pubkey-ttl=0s", cloudkey.Calls{RemoteVerify: true, MaxAttempts: 10, MaxBackoff: time.Millisecond}, ""},
		{"x:k=1?verify=local&max-attempts=1&max-backoff=1m&pubkey-ttl=168h", cloudkey.Calls{MaxAttempts: 1, MaxBackoff: time.Minute, PubKeyTTL: 168 * time.Hour}, ""},
		{"x:k=1?max-attempts=0", cloudkey.Calls{}, `x max-attempts="0"; write a whole number from 1 to 10`},
		{"x:k=1?max-attempts=11", cloudkey.Calls{}, "from 1 to 10"},
		{"x:k=1?max-backoff=0s", cloudkey.Calls{}, "from 1ms to 1m0s"},
		{"x:k=1?pubkey-ttl=169h", cloudkey.Calls{}, "from 0s to 168h0m0s"},
		{"x:k=1?verify=sometimes", cloudkey.Calls{}, "verify"},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			got, err := cloudkey.ParseCalls(provider.MustParseURI(tt.uri), "the service checks")
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("ParseCalls = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParseCalls error = %v; want ErrInvalidConfig containing %q", err, tt.wantErr)
			}
		})
	}
}
