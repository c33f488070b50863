// Package pkcs11 is TinyWindow's backend for keys held in PKCS#11 hardware
// security modules (Thales Luna, Entrust nShield, AWS CloudHSM, YubiHSM,
// SoftHSM), scheme "pkcs11". It is built on github.com/miekg/pkcs11 and needs
// cgo; built without cgo, or with the build tag nopkcs11, the scheme is still
// registered and opening a key fails with an error saying that cgo is required.
//
// A key is named by a URI in the style of RFC 7512:
//
//	pkcs11:token=prod;object=orders?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:TW_PIN
//
// Every attribute of RFC 7512 is accepted and is a constraint: library-*
// on the module (C_GetInfo), slot-id, slot-manufacturer and slot-description
// on the slot, token, manufacturer, model and serial on the token, object
// (CKA_LABEL), id (CKA_ID, percent-encoded bytes) and type (private or
// secret-key) on the key. Exactly one token and one key must match; an error
// lists what was found otherwise. The URI p11tool prints works when pasted,
// with module-path and pin-source added. Query attributes:
//
//	module-path   the PKCS#11 module (shared library) to load; required
//	module-name   the module's name, which must be that of module-path
//	pin-source    env:NAME or file:PATH holding the user PIN (pin-value is refused)
//	max-sessions  the most sessions the key opens at once (default 16, capped by the token's limit)
//	alg           the algorithm the key must have; RSA keys default to RSA-PSS-SHA256
//	verify        where asymmetric signatures are verified: local (default) or hsm
//	session-keys  auto (default): work on a session-object copy of the key when the
//	              token allows copying it; off: always use the token object
//
// Algorithms: HMAC-SHA256 (CKM_SHA256_HMAC, a generic secret of at least 32
// bytes), ECDSA-P256-SHA256 and ECDSA-P384-SHA384 (CKM_ECDSA over a digest
// computed in Go; signatures are ASN.1 DER as in every backend), Ed25519
// (CKM_EDDSA), RSA-PSS-SHA256 (CKM_SHA256_RSA_PKCS_PSS) and RSA-PKCS1-SHA256
// (CKM_SHA256_RSA_PKCS).
//
// The module is initialised once per process however many keys use it, and
// finalised when the last of them closes. Each key keeps a pool of sessions;
// every operation borrows one inside a closure, so it always goes back, and no
// session is ever used by two goroutines at once. A session that fails with
// CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED, CKR_DEVICE_ERROR or
// CKR_DEVICE_REMOVED is closed and never reused, and the operation is retried
// once on a fresh session; CKR_USER_NOT_LOGGED_IN triggers one re-login.
package pkcs11
