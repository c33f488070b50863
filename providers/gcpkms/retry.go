package gcpkms

import (
	"context"
	"hash/crc32"
	"math/rand/v2"
	"time"

	"github.com/googleapis/gax-go/v2"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// firstBackoff is the wait before the second attempt of a call; each later
// wait doubles, up to max-backoff, with full jitter.
const firstBackoff = 50 * time.Millisecond

// noGAXRetry turns off the client library's own retries: calls are retried
// by retry below, which also retries corrupted answers and counts attempts.
var noGAXRetry = gax.WithRetry(func() gax.Retryer { return nil })

// retry makes call at most o.MaxAttempts times while it fails with an error
// that may pass (see retryable). It never waits past ctx's deadline: when
// the next wait would end after it, the last error is returned at once.
func (o *options) retry(ctx context.Context, call func(context.Context) error) error {
	backoff := firstBackoff
	for attempt := 1; ; attempt++ {
		err := call(ctx)
		if err == nil || attempt >= o.MaxAttempts || !retryable(err) || ctx.Err() != nil {
			return err
		}
		pause := rand.N(min(backoff, o.MaxBackoff) + 1)
		if d, ok := ctx.Deadline(); ok && time.Until(d) <= pause {
			return err
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		backoff *= 2
	}
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crc32c returns the CRC32C of b as Cloud KMS requests carry it.
func crc32c(b []byte) *wrapperspb.Int64Value {
	return wrapperspb.Int64(int64(crc32.Checksum(b, castagnoli)))
}

// crcMatches reports whether sum is present and is the CRC32C of b.
func crcMatches(b []byte, sum *wrapperspb.Int64Value) bool {
	return sum != nil && sum.GetValue() == int64(crc32.Checksum(b, castagnoli))
}
