// Package provider defines the contract that every TinyWindow signing backend
// implements, and the pieces shared by all of them: algorithm names, the error
// taxonomy, key URIs, the backend registry, secret sources, the configuration
// file, a crypto.Signer adapter, a keyring for key rotation, the secret-file
// writer of keygen, and what audit reports use: the Identifier interface and
// URI.Redacted.
//
// A backend registers its URI scheme from an init function; importing the
// backend's package for its side effect makes the scheme available to Open:
//
//	import _ "github.com/tinywindow/tinywindow/providers/hmac"
//
//	key, err := provider.Open(ctx, "hmac:seed=42")
//	if err != nil { ... }
//	defer key.Close()
//	sig, err := key.Sign(ctx, msg)
//	err = key.Verify(ctx, msg, sig) // nil, or errors.Is(err, provider.ErrInvalidSignature)
//
// Verify distinguishes a forgery from an outage: an invalid signature yields an
// error matching ErrInvalidSignature, while a backend that could not decide
// (device gone, network down, context done) yields any other error, usually one
// matching ErrUnavailable.
package provider
