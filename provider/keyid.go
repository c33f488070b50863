package provider

import (
	"crypto/sha256"
	"encoding/hex"
)

// KeyIDFromPublic derives a key ID from a key's public encoding (for example
// its DER SubjectPublicKeyInfo): the first 8 bytes of its SHA-256, in hex.
func KeyIDFromPublic(encoded []byte) string {
	sum := sha256.Sum256(encoded)
	return hex.EncodeToString(sum[:8])
}
