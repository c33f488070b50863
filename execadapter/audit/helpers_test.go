package audit

import (
	"crypto/sha256"
	"hash"
)

func newTestHash() hash.Hash { return sha256.New() }
