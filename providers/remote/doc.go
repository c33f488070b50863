// Package remote is TinyWindow's backend for keys held by a TinyWindow
// signing service (package service, `tinywindow serve`), scheme "remote":
//
//	remote:addr=signer.internal:7443;key=orders?ca-source=file:/etc/tw/ca.pem&cert-source=file:/etc/tw/client.pem&key-source=file:/etc/tw/client.key
//
// It signs over gRPC with mutual TLS. It verifies signatures of ECDSA,
// Ed25519 and RSA keys locally, with the public key fetched when the key was
// opened, and those of other keys (MACs, post-quantum keys) through the
// service. An unreachable service is ErrUnavailable, never
// ErrInvalidSignature; only calls that are safe to repeat are retried. A key
// with a public key signs digests through the service (provider.DigestSigner),
// so provider.CryptoSigner makes a crypto.Signer of it for crypto/x509 and
// crypto/tls; built with Go 1.27, an ML-DSA key's public key is an
// *mldsa.PublicKey.
//
// The client's TLS key may be a key of any backend (key-uri=), and with Go
// 1.27 both sides may authenticate with ML-DSA certificates over the
// post-quantum key exchange X25519MLKEM768 (require-post-quantum=true).
//
// A key of the service's purpose orders seals orders for a venue.Sealer
// (SignOrder), one of purpose checkpoints signs an audit log's checkpoints
// with consistency proofs (SignCheckpoint, an audit.ProvenSigner), and one
// of purpose acks signs acks for a venue.AckSigner (SignAck); Purpose says
// which.
//
// A fleet of identical services scales out: addr may list several
// addresses, or name a host with several, and calls are balanced over those
// that are up and healthy (see Open).
package remote
