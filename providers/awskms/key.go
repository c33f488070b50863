package awskms

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/tinywindow/tinywindow/provider"
)

// base is what every awskms key holds: the client, the parsed URI, what
// DescribeKey said of the key, and whether the handle is closed.
type base struct {
	client *kms.Client
	opts   *options
	spec   *keySpec
	arn    string // the key ARN DescribeKey returned when the key was opened
	info   provider.KeyInfo
	closed atomic.Bool
}

// Info describes the key as it was when opened: an ID derived from its public
// key (for an HMAC key, from its ARN), its algorithm, the scheme, and the key
// ARN as version. Reopen the key to see an alias that now names another key.
func (b *base) Info() provider.KeyInfo { return b.info }

// KeyARN returns the ARN of the KMS key, as DescribeKey returned it.
func (b *base) KeyARN() string { return b.arn }

// check is the first step of every call: a closed handle or a done context
// ends it, with an error that is never ErrInvalidSignature.
func (b *base) check(ctx context.Context) error {
	if b.closed.Load() {
		return fmt.Errorf("%w: awskms key %s", provider.ErrClosed, b.opts.keyID)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: awskms key %s: %w", provider.ErrUnavailable, b.opts.keyID, err)
	}
	return nil
}

// Close makes every later Sign and Verify fail with ErrClosed. It is
// idempotent. The key itself stays in KMS; the handle holds no secret.
func (b *base) Close() error {
	b.closed.Store(true)
	return nil
}
