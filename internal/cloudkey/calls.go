package cloudkey

import (
	"time"

	"github.com/tinywindow/tinywindow/provider"
)

// Defaults of the URI attributes that Calls holds.
const (
	DefaultMaxAttempts = 3
	DefaultMaxBackoff  = time.Second
	DefaultPubKeyTTL   = time.Hour
)

// Calls holds the URI attributes every cloud backend reads alike: how a key
// verifies (verify=local|remote), how its calls are retried (max-attempts=,
// 1 to 10; max-backoff=, 1ms to 1m) and how long its cached public key is
// trusted (pubkey-ttl=, 0s to 168h; 0s: never refreshed by age).
type Calls struct {
	RemoteVerify bool
	MaxAttempts  int
	MaxBackoff   time.Duration
	PubKeyTTL    time.Duration
}

// ParseCalls reads verify=, max-attempts=, max-backoff= and pubkey-ttl=
// from u, with the defaults for those it does not hold. remote says what
// verify=remote asks to check the signature ("KMS checks"). An attribute out
// of bounds is an error matching ErrInvalidConfig.
func ParseCalls(u *provider.URI, remote string) (Calls, error) {
	var c Calls
	var err error
	if c.RemoteVerify, err = u.VerifyRemote(remote); err != nil {
		return c, err
	}
	if c.MaxAttempts, err = u.Int("max-attempts", DefaultMaxAttempts, 1, 10); err != nil {
		return c, err
	}
	if c.MaxBackoff, err = u.Duration("max-backoff", DefaultMaxBackoff, time.Millisecond, time.Minute); err != nil {
		return c, err
	}
	if c.PubKeyTTL, err = u.Duration("pubkey-ttl", DefaultPubKeyTTL, 0, 7*24*time.Hour); err != nil {
		return c, err
	}
	return c, nil
}
