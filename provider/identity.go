package provider

import "context"

// Identity describes, for an audit report, where a key is held and how its
// signatures are checked. It never holds a secret.
type Identity struct {
	// VerifyMode says where Verify checks a signature, in the words of the
	// backend's verify= attribute: "local" (in this process, with the public
	// key or secret the handle holds), or "hsm" or "remote" (the device or
	// service checks it).
	VerifyMode string `json:"verify_mode"`
	// Attributes name the device or service holding the key and the key in
	// it: for PKCS#11 the library (C_GetInfo) and the token
	// (C_GetTokenInfo), for AWS KMS the key ARN and region, for Azure Key
	// Vault the key identifier with its version.
	Attributes map[string]string `json:"attributes,omitempty"`
	// Provenance says how the key came to be where it is and whether it
	// can leave, where the device or service reports it.
	Provenance Provenance `json:"provenance,omitzero"`
}

// Provenance answers an auditor's two questions about a key held by a
// device or service: was it made there, and can it ever leave? Origin and
// Extractable are the answers in words common to every backend; Attributes
// are the facts behind them in the backend's own words (for PKCS#11 the
// private key's CKA_LOCAL, CKA_SENSITIVE, CKA_ALWAYS_SENSITIVE,
// CKA_EXTRACTABLE, CKA_NEVER_EXTRACTABLE and CKA_PRIVATE; for AWS KMS the
// key's Origin, KeyState and rotation).
type Provenance struct {
	// Origin is OriginGenerated, OriginImported, or "" when unknown.
	Origin string `json:"origin,omitempty"`
	// Extractable is ExtractableNo, ExtractableOnce, ExtractableYes, or
	// "" when unknown.
	Extractable string            `json:"extractable,omitempty"`
	Attributes  map[string]string `json:"attributes,omitempty"`
}

// The values of Provenance.Origin and Provenance.Extractable.
const (
	// OriginGenerated: the device or service made the key.
	OriginGenerated = "generated"
	// OriginImported: the key was made elsewhere and brought in, so
	// copies of it may exist outside.
	OriginImported = "imported"
	// ExtractableNo: the key can never leave, and never could.
	ExtractableNo = "no"
	// ExtractableOnce: the key cannot leave now, but could earlier, so
	// copies of it may exist outside.
	ExtractableOnce = "once"
	// ExtractableYes: the key can be exported or read out.
	ExtractableYes = "yes"
)

// Identifier is implemented by keys that can describe themselves for an
// audit report (`tinywindow conformance`). Identity may do I/O: it may ask
// the device for its library and token information.
type Identifier interface {
	Identity(ctx context.Context) (Identity, error)
}
