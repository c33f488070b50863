package remote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/internal/printable"
	"github.com/tinywindow/tinywindow/provider"
)

// kindOf maps a gRPC status code onto the provider error taxonomy. Nothing
// maps to ErrInvalidSignature: only a Verify answer of valid=false does.
//
//	PERMISSION_DENIED, UNAUTHENTICATED        ErrPermissionDenied
//	NOT_FOUND                                 ErrKeyNotFound
//	UNIMPLEMENTED, FAILED_PRECONDITION        ErrUnsupported
//	INVALID_ARGUMENT, OUT_OF_RANGE            ErrInvalidConfig
//	everything else (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED,
//	RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNKNOWN, DATA_LOSS)
//	                                          ErrUnavailable
//
// An UNAVAILABLE that is a TLS refusal of this client's certificate (unknown
// CA, expired, missing) is ErrPermissionDenied, and a refusal of the
// service's certificate is ErrInvalidConfig: retrying mends neither.
func kindOf(st *status.Status) error {
	switch st.Code() {
	case codes.PermissionDenied, codes.Unauthenticated:
		return provider.ErrPermissionDenied
	case codes.NotFound:
		return provider.ErrKeyNotFound
	case codes.Unimplemented, codes.FailedPrecondition:
		return provider.ErrUnsupported
	case codes.InvalidArgument, codes.OutOfRange:
		return provider.ErrInvalidConfig
	case codes.Unavailable:
		msg := st.Message()
		for _, s := range []string{"tls: certificate required", "tls: bad certificate", "tls: unknown certificate authority",
			"tls: expired certificate", "tls: revoked certificate", "tls: unsupported certificate", "tls: certificate unknown", "tls: access denied"} {
			if strings.Contains(msg, "remote error: "+s) {
				return provider.ErrPermissionDenied
			}
		}
		if strings.Contains(msg, "x509: ") || strings.Contains(msg, "tls: failed to verify certificate") {
			return provider.ErrInvalidConfig
		}
	}
	return provider.ErrUnavailable
}

// deadlineSlack is how close to the caller's deadline a DeadlineExceeded from
// the service counts as the caller's deadline having passed.
const deadlineSlack = 50 * time.Millisecond

// wrap turns a gRPC error into one of the taxonomy, keeping the status
// (status.FromError still finds it) and the context's error.
func (k *Key) wrap(ctx context.Context, op string, err error) error {
	st, _ := status.FromError(err)
	kind := kindOf(st)
	cerr := ctx.Err()
	if cerr == nil && st.Code() == codes.DeadlineExceeded {
		// The service enforces the deadline the client sent, and may report
		// it a moment before the client's own context notices.
		if d, ok := ctx.Deadline(); ok && time.Until(d) < deadlineSlack {
			cerr = context.DeadlineExceeded
		}
	}
	if cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: remote %s, key %q at %q: %w (%w)", kind, op, k.cfg.name, k.cfg.addr, printable.Error(err), cerr)
	}
	return fmt.Errorf("%w: remote %s, key %q at %q: %w", kind, op, k.cfg.name, k.cfg.addr, printable.Error(err))
}

// retryable reports whether a call that is safe to repeat should be
// repeated after err.
func retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.ResourceExhausted, codes.Aborted:
		st, _ := status.FromError(err)
		return errors.Is(kindOf(st), provider.ErrUnavailable)
	}
	return false
}
