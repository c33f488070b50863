package conformance

import (
	"crypto"
	"crypto/rsa"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// Level is how grave a finding is.
type Level string

// The levels of a finding.
const (
	// Warn marks a property of the key an auditor must weigh: the checks may
	// all pass, yet the key may be unfit for the use at hand.
	Warn Level = "warn"
)

// Finding is an observation about the key under test that is not the pass or
// fail of a check: what was found and why it matters.
type Finding struct {
	Level   Level  `json:"level"`
	Finding string `json:"finding"`
	Reason  string `json:"reason"`
}

// MinRSABits is the smallest RSA modulus, in bits, that a report accepts
// without a finding: 3072 bits give 128-bit security (NIST SP 800-57 part 1,
// table 2), as P-256 and Ed25519 do.
const MinRSABits = 3072

// publicSeeder is implemented by keys that can say whether their secret
// follows from a public seed (hmac:seed=N).
type publicSeeder interface {
	PublicSeed() bool
}

// keyFindings returns the findings about k, whose public key crypto/x509
// parsed as pub (nil where it has none or crypto/x509 does not know it) and
// whose holder reported prov: a key made from a public seed, a MAC key, an
// RSA key below MinRSABits, a key that can or could be extracted, an
// imported key.
func keyFindings(k provider.Signer, pub crypto.PublicKey, prov provider.Provenance) []Finding {
	findings := []Finding{}
	info := k.Info()
	if s, ok := k.(publicSeeder); ok && s.PublicSeed() {
		findings = append(findings, Finding{Level: Warn,
			Finding: "the key is made from a public seed (hmac:seed=N)",
			Reason:  "the seed is public and the key follows from it, so anyone can make its signatures; use it for tests and the MVP's known answers only, never for orders",
		})
	}
	if info.Algorithm.Symmetric() {
		findings = append(findings, Finding{Level: Warn,
			Finding: fmt.Sprintf("the key is a MAC (%s), not a signature key", info.Algorithm),
			Reason:  "whoever can verify a tag holds the secret and can make one, so a tag proves nothing to a third party (no non-repudiation); use an asymmetric key where a venue, auditor or regulator must verify",
		})
	}
	if rk, ok := pub.(*rsa.PublicKey); ok && rk.N.BitLen() < MinRSABits {
		findings = append(findings, Finding{Level: Warn,
			Finding: fmt.Sprintf("the RSA key is %d bits, below %d", rk.N.BitLen(), MinRSABits),
			Reason:  fmt.Sprintf("RSA below %d bits gives less than 128-bit security (NIST SP 800-57 part 1) and is not acceptable beyond 2030; make a key of %d bits or more", MinRSABits, MinRSABits),
		})
	}
	return append(findings, provenanceFindings(prov)...)
}

// provenanceFindings returns the findings about where a key was made and
// whether it can leave, from what its device or service reported.
func provenanceFindings(p provider.Provenance) []Finding {
	var findings []Finding
	switch p.Extractable {
	case provider.ExtractableYes:
		findings = append(findings, Finding{Level: Warn,
			Finding: "the key can be extracted from where it is held",
			Reason:  "whoever may use the token or service can export or read the key, so a signature does not prove the device made it; make a key that can never leave (PKCS#11: CKA_EXTRACTABLE false, CKA_SENSITIVE true)",
		})
	case provider.ExtractableOnce:
		findings = append(findings, Finding{Level: Warn,
			Finding: "the key could be extracted before",
			Reason:  "it cannot leave now, but was once extractable or not sensitive (PKCS#11: CKA_NEVER_EXTRACTABLE or CKA_ALWAYS_SENSITIVE false), so copies may exist outside; make a new key in the device",
		})
	}
	if p.Origin == provider.OriginImported {
		findings = append(findings, Finding{Level: Warn,
			Finding: "the key was imported, not made where it is held",
			Reason:  "a key made elsewhere may have copies outside the device or service (PKCS#11: CKA_LOCAL false; KMS: origin external); generate the key in the device or service",
		})
	}
	return findings
}
