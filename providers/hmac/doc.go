// Package hmac is TinyWindow's deterministic HMAC-SHA256 backend, scheme
// "hmac", byte-compatible with the Rust/Python MVP it replaces.
package hmac
