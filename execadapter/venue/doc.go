// Package venue carries signed orders to a trading venue and brings back
// its acknowledgements, behind one small interface (Venue).
//
// An order travels in an Envelope: the canonical order bytes with the key
// ID and algorithm of the key that signed them, signed with domain
// separation (OrderDomain), so that an order signature can be checked by
// anyone holding the key's verifier and never replayed as anything else.
//
// Two venues are provided: Sim, an in-process simulated venue that verifies
// each signature with the verifier of its key ID (from a provider.Keyring),
// rejects duplicate client order IDs and stale timestamps and acknowledges
// with a venue order ID; and TCP, a client for a Sim served over TCP by
// Server, with length-prefixed frames, many orders in flight, reconnection
// with backoff, and orders whose ack never came reported as Unknown rather
// than resent.
package venue
