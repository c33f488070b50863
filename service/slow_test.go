package service_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// "slowtest" is the HMAC backend with a delay before each sign and verify,
// honouring the context: slowtest:seed=N;delay=DURATION. The service's
// shutdown and deadline tests need calls that take time.
func init() {
	provider.Register(provider.Backend{
		Scheme:     "slowtest",
		Algorithms: []provider.Algorithm{provider.HMACSHA256},
		Open: func(_ context.Context, u *provider.URI) (provider.Key, error) {
			if err := u.Check("slowtest", "seed", "delay"); err != nil {
				return nil, err
			}
			seed, _ := u.Get("seed")
			n, err := hmac.ParseSeed(seed)
			if err != nil {
				return nil, err
			}
			d, _ := u.Get("delay")
			delay, err := time.ParseDuration(d)
			if err != nil {
				return nil, fmt.Errorf("%w: slowtest delay: %w", provider.ErrInvalidConfig, err)
			}
			return &slowKey{Key: hmac.NewFromSeed(n), delay: delay}, nil
		},
	})
}

// slowStarted receives the context of each slow call as it starts waiting,
// so that a test can read the deadline the key was given and watch the call
// end.
var slowStarted = make(chan context.Context, 64)

type slowKey struct {
	*hmac.Key
	delay time.Duration
}

func (k *slowKey) wait(ctx context.Context) error {
	select {
	case slowStarted <- ctx:
	default:
	}
	t := time.NewTimer(k.delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", provider.ErrUnavailable, ctx.Err())
	case <-t.C:
		return nil
	}
}

func (k *slowKey) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	if err := k.wait(ctx); err != nil {
		return nil, err
	}
	return k.Key.Sign(ctx, msg)
}

func (k *slowKey) SignAppend(ctx context.Context, dst, msg []byte) ([]byte, error) {
	if err := k.wait(ctx); err != nil {
		return nil, err
	}
	return k.Key.SignAppend(ctx, dst, msg)
}

func (k *slowKey) Verify(ctx context.Context, msg, sig []byte) error {
	if err := k.wait(ctx); err != nil {
		return err
	}
	return k.Key.Verify(ctx, msg, sig)
}
