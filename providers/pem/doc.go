// Package pem is TinyWindow's backend for software keys kept in PEM files,
// scheme "pem": the private key files that `openssl genpkey`, `ssh-keygen`
// and `tinywindow keygen` write.
//
//	pem:key-source=file:/etc/tw/orders.pem
//	pem:key-source=env:TW_ORDERS_KEY;alg=RSA-PKCS1-SHA256
//	pem:pub-source=file:/etc/tw/orders.pub.pem
//
// The source holds one unencrypted PEM private key: PKCS#8 "PRIVATE KEY"
// (Ed25519, ECDSA P-256, P-384 or P-521, RSA), SEC 1 "EC PRIVATE KEY", PKCS#1
// "RSA PRIVATE KEY", or OpenSSH "OPENSSH PRIVATE KEY" (Ed25519, ECDSA, RSA).
// A file source follows the rules of every secret: a regular file that group
// and others can neither read nor write. An env: source holds the PEM text
// itself, line breaks included (export TW_KEY="$(cat orders.pem)"), not hex.
//
// The algorithm follows from the key: Ed25519, ECDSA-P256-SHA256,
// ECDSA-P384-SHA384, ECDSA-P521-SHA512, and for RSA keys (at least 2048 bits)
// RSA-PSS-SHA256 unless alg=RSA-PKCS1-SHA256 asks for PKCS#1 v1.5. alg, when
// given, must agree with the key. ECDSA signatures are ASN.1 DER; signatures
// are made and verified with the Go standard library.
//
// With pub-source the source holds one PEM "PUBLIC KEY" block (a
// SubjectPublicKeyInfo), as `tinywindow pubkey` and `openssl pkey -pubout`
// write, and the key only verifies (see NewVerifier): Ed25519, ECDSA and RSA
// keys under the shared rule of internal/stdverify, ML-DSA and SLH-DSA keys
// through the pqc backend. A public key is not a secret: its file may have
// any mode, but must be a regular file of at most MaxPublicKeyPEMSize bytes.
//
// Keys offer their public key (provider.PublicKeyer, provider.PublicKeyPEMer)
// and sign digests (provider.DigestSigner), so provider.CryptoSigner makes a
// crypto.Signer of them. Close zeroes the private key's bytes and big-number
// words that the program can reach; copies the standard library keeps inside
// its own types cannot be reached, as with any Go key.
package pem
