package pem

import (
	"slices"

	"github.com/tinywindow/tinywindow/provider"
)

// Algorithms lists the algorithms this backend offers.
func Algorithms() []provider.Algorithm { return slices.Clone(algorithms) }

var algorithms = []provider.Algorithm{
	provider.Ed25519, provider.ECDSAP256SHA256, provider.ECDSAP384SHA384, provider.ECDSAP521SHA512,
	provider.RSAPSSSHA256, provider.RSAPKCS1SHA256,
}
