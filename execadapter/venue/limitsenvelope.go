package venue

import (
	"context"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// LimitsEnvelopeVersion is the version of a signed-order envelope that binds
// the verdict of the pre-trade checks: it carries the SHA-256 of the
// canonical limits snapshot (package execadapter/risk, Config.Canonical)
// under which the signer approved the order, and its signature covers it.
//
// Layout (all lengths big-endian):
//
//	0    1  version = 3
//	1    1  key ID length k (1 to 64), then k bytes of key ID
//	.    1  algorithm length a (1 to 32), then a bytes of algorithm name
//	.    2  order length n, then n bytes of canonical order (docs/orders.md)
//	.   32  limits hash: SHA-256 of the canonical limits snapshot
//	.    4  signature length s (1 to 32768), then s bytes of signature
//
// The signature is over OrderDomain followed by every byte of the envelope
// before the signature length, the limits hash included; an Opener verifies
// it as it verifies version 1.
const LimitsEnvelopeVersion = 3

// LimitsHashSize is the size of a version 3 envelope's limits hash.
const LimitsHashSize = 32

// SealLimits signs the canonical order bytes with the hash of the limits
// that approved it and returns the version 3 envelope (LimitsEnvelopeVersion),
// which stays valid until the next call to Seal or SealLimits. A Sealer whose
// key seals orders itself (EnvelopeSigner) cannot add the hash: the error
// then matches provider.ErrUnsupported.
func (s *Sealer) SealLimits(ctx context.Context, canonical []byte, limits [LimitsHashSize]byte) ([]byte, error) {
	if s.sealer != nil {
		return nil, fmt.Errorf("%w: key %s signs orders through its signing service, which chooses the envelope; configure the limits there", provider.ErrUnsupported, s.signer.Info().ID)
	}
	return s.seal(ctx, canonical, LimitsEnvelopeVersion, limits[:])
}
