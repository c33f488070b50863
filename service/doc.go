// Package service is the TinyWindow signing service: a gRPC server (the API
// of package signerpb) that signs and verifies with keys it opens from key
// URIs, for clients it authenticates by mutual TLS and authorises per key
// and RPC.
//
// Each key has a Purpose and signs only through its purpose's RPC, the
// service building what it signs: a raw key signs the client's bytes (Sign,
// SignDigest), an orders key signed-order envelopes (SignOrder), an acks key
// venue acks (SignAck), a checkpoints key audit checkpoints that extend, by a
// consistency proof, the last one it signed for their origin
// (SignCheckpoint, with a state file InitCheckpointState creates).
//
// One kill switch per service (package execadapter/killswitch) stops
// SignOrder for the orders of a scope: Kill brings a kill into force under
// the caller's certificate identity, Resume lifts it once two different
// identities approve, and each event is recorded in the service's audit log
// (AuditConfig) with a signed checkpoint before the call answers.
//
// A Server is built from a Config (YAML, see Config), serves on a listener,
// reloads its keys, clients and certificates on Reload without dropping calls
// in flight, and drains calls in flight on Shutdown. Every key is wrapped by
// package telemetry, and the metrics are served in the Prometheus text
// format by MetricsHandler. The standard health service and server
// reflection answer every caller the mutual TLS handshake authenticated.
// With a tracing section (TracingConfig), each
// sign and verify is a span exported over OTLP/gRPC. SignDigest signs a
// digest the client computed, so that a client can use a key as a
// crypto.Signer. The server's TLS key may be a key of any backend
// (TLSConfig.KeyURI); it prefers the post-quantum key exchange
// X25519MLKEM768 and, with Go 1.27, can require it together with ML-DSA
// certificates (TLSConfig.RequirePostQuantum); package mtls holds what the
// server and its clients share of this. `tinywindow serve --config FILE` runs one; the
// "remote" backend (package providers/remote) is its client.
package service
