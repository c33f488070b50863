// Package venue carries signed orders to a trading venue and brings back
// its acknowledgements, behind one small interface (Venue).
//
// An order travels in an Envelope: the canonical order bytes with the key
// ID and algorithm of the key that signed them, signed with domain
// separation (OrderDomain), so that an order signature can be checked by
// anyone holding the key's verifier and never replayed as anything else.
//
// Orders can also be signed in batches (BatchSigner): one signature, under
// BatchDomain, over the RFC 6962 Merkle root of a batch of orders (Batch),
// and each order sent as a version 2 envelope with its inclusion proof
// (BatchEnvelopeVersion), authentic exactly when its leaf is under a root the
// key signed (CheckLeaf). A batch's signature travels once per connection,
// before its first order (FrameBatch), and a venue verifies it once
// (BatchCache).
//
// A signer that runs pre-trade checks binds their verdict into a version 3
// envelope (LimitsEnvelopeVersion, Sealer.SealLimits): the SHA-256 of the
// limits that approved the order, under the order's signature, which a venue
// verifies as version 1 and reads from Envelope.Limits.
//
// Two venues are provided: Sim, an in-process simulated venue that verifies
// each signature with the verifier of its key ID (from a provider.Keyring),
// rejects duplicate client order IDs and stale timestamps and acknowledges
// with a venue order ID; and TCP, a client for a Sim served over TCP by
// Server, with length-prefixed frames, many orders in flight, reconnection
// with backoff, and orders whose ack never came reported as Unknown rather
// than resent. A caller's deadline ends only its own order on a TCP venue:
// an order not yet written is NotSent, one cut mid-write Unknown, and the
// connection stays up for everyone else.
//
// A Server serves at most ServerOptions.MaxConns connections at once and
// closes idle ones (ServerOptions.IdleTimeout), counting both.
//
// A Server can keep the duplicate window on disk (ServerOptions.StateDir),
// durable before each ack, so that a restarted venue still rejects every
// order it acknowledged, and refuses to start on a window it finds damaged
// rather than forget any of it; and it can sign its acks (ServerOptions.Signer,
// SignedAck) over the ack and the hash of the order they answer, so that an
// ack kept in an audit log proves what the venue said (VerifyAck).
package venue
