// Package interop proves that TinyWindow's composite ML-DSA signatures are
// those of draft-ietf-lamps-pq-composite-sigs-15 as another implementation
// makes them: tink-go v2.9.0 (signature/compositemldsa) verifies TinyWindow's
// signatures and TinyWindow verifies tink-go's, for every combination both
// offer, with public keys exchanged as the draft encodes them. It is a module
// of its own, so that tink-go never enters the library's module graph; run
// it with scripts/test.d/70-composite-interop.sh.
package interop
