package azurekv

import (
	"crypto"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"slices"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azkeys"
	"github.com/tinywindow/tinywindow/provider"
)

// Algorithms lists the algorithms this backend offers.
func Algorithms() []provider.Algorithm { return slices.Clone(algorithms) }

var algorithms = []provider.Algorithm{
	provider.ECDSAP256SHA256, provider.ECDSAP384SHA384, provider.RSAPSSSHA256, provider.RSAPKCS1SHA256,
}

// azureAlgorithm maps one of our algorithm names onto Key Vault's JWA name.
func azureAlgorithm(a provider.Algorithm) (azkeys.SignatureAlgorithm, bool) {
	switch a {
	case provider.ECDSAP256SHA256:
		return azkeys.SignatureAlgorithmES256, true
	case provider.ECDSAP384SHA384:
		return azkeys.SignatureAlgorithmES384, true
	case provider.RSAPSSSHA256:
		return azkeys.SignatureAlgorithmPS256, true
	case provider.RSAPKCS1SHA256:
		return azkeys.SignatureAlgorithmRS256, true
	}
	return "", false
}

// curveAlgorithm is the algorithm an EC key of the named curve signs with.
func curveAlgorithm(crv azkeys.CurveName) (provider.Algorithm, elliptic.Curve, bool) {
	switch crv {
	case azkeys.CurveNameP256:
		return provider.ECDSAP256SHA256, elliptic.P256(), true
	case azkeys.CurveNameP384:
		return provider.ECDSAP384SHA384, elliptic.P384(), true
	}
	return "", nil, false
}

// digest hashes msg with h (SHA-256 or SHA-384) into buf, which must hold
// sha512.Size384 bytes, and returns the digest.
func digest(h crypto.Hash, msg []byte, buf *[sha512.Size384]byte) []byte {
	if h == crypto.SHA384 {
		*buf = sha512.Sum384(msg)
		return buf[:sha512.Size384]
	}
	d := sha256.Sum256(msg)
	copy(buf[:], d[:])
	return buf[:sha256.Size]
}
