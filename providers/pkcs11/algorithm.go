package pkcs11

import (
	"slices"

	"github.com/tinywindow/tinywindow/provider"
)

// Algorithms lists the algorithms this backend offers.
func Algorithms() []provider.Algorithm { return slices.Clone(algorithms) }

var algorithms = []provider.Algorithm{
	provider.HMACSHA256, provider.ECDSAP256SHA256, provider.ECDSAP384SHA384,
	provider.Ed25519, provider.RSAPSSSHA256, provider.RSAPKCS1SHA256,
}

func supported(a provider.Algorithm) bool {
	for _, b := range algorithms {
		if a == b {
			return true
		}
	}
	return false
}
