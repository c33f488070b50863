// Package composite is TinyWindow's composite ML-DSA backend: a key made of
// an ML-DSA key and a classical key (ECDSA P-256 or P-384, Ed25519, RSA-PSS
// or RSA-PKCS1), each opened through its own key URI from whichever backend
// holds it, that signs as one key of a composite algorithm of
// draft-ietf-lamps-pq-composite-sigs-15 (see Draft). A composite signature
// stays unforgeable as long as either component is.
//
// Importing the package registers the "composite" scheme:
//
//	composite:alg=MLDSA65-ECDSA-P256-SHA512;pq-uri=PQ;trad-uri=TRAD
//
// where PQ and TRAD are the components' URIs with ';', '?' and '&'
// percent-encoded (URI builds the string), or, in a configuration file,
// pq=NAME and trad=NAME naming entries of its keys: map.
//
// Signing computes the draft's message representative
//
//	M' = "CompositeAlgorithmSignatures2025" ‖ Label ‖ 0x00 ‖ PH(M)
//
// and has both components sign M': the ML-DSA component with the Label as
// its FIPS 204 context string, the classical component as it signs any
// message (ECDSA signatures in DER). The ML-DSA half is offered to a second
// goroutine while the caller signs the classical half, so the two overlap
// where a thread is free to start at once or the classical half waits on
// I/O; where no thread takes the offer up in time, the caller signs both.
// MessageRepresentative returns M'. The signature is the
// ML-DSA signature followed by the classical one. Verification checks both.
// Public keys are exported as the draft's SubjectPublicKeyInfo, and the key
// ID is derived from it. Signatures are byte-compatible with tink-go v2.9.0.
package composite
