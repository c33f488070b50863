//go:build !go1.27

package signerpb

import (
	"crypto"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// errNeedsGo127 refuses what only Go 1.27's crypto.Signer options express.
func errNeedsGo127(what string) error {
	return fmt.Errorf("%w: SignDigest: %s needs Go 1.27 (crypto/mldsa); the service was built with an older Go: build it with Go 1.27 or later (GOTOOLCHAIN=go1.27.3)", provider.ErrUnsupported, what)
}

func muOpts() (crypto.SignerOpts, error) { return nil, errNeedsGo127("an external ML-DSA μ") }

func contextOpts(string) (crypto.SignerOpts, error) {
	return nil, errNeedsGo127("an ML-DSA context string")
}
