//go:build cgo && !nopkcs11

package pkcs11

// PKCS#11 v3.0 constants for Edwards-curve keys, which github.com/miekg/pkcs11
// v1.1.2 does not define.
const (
	ckkECEdwards           = 0x00000040 // CKK_EC_EDWARDS
	ckmECEdwardsKeyPairGen = 0x00001055 // CKM_EC_EDWARDS_KEY_PAIR_GEN
	ckmEdDSA               = 0x00001057 // CKM_EDDSA
)

// DER-encoded OIDs used as CKA_EC_PARAMS.
var (
	oidP256    = []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07} // 1.2.840.10045.3.1.7
	oidP384    = []byte{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22}                   // 1.3.132.0.34
	oidEd25519 = []byte{0x06, 0x03, 0x2b, 0x65, 0x70}                               // 1.3.101.112
)
