//go:build go1.27

package signerpb

import (
	"crypto"
	"crypto/mldsa"
)

func muOpts() (crypto.SignerOpts, error) { return crypto.MLDSAMu, nil }

func contextOpts(c string) (crypto.SignerOpts, error) { return &mldsa.Options{Context: c}, nil }
