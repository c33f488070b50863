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
}

// Identifier is implemented by keys that can describe themselves for an
// audit report (`tinywindow conformance`). Identity may do I/O: it may ask
// the device for its library and token information.
type Identifier interface {
	Identity(ctx context.Context) (Identity, error)
}
