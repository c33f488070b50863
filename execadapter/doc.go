// Package execadapter is the execution adapter: SendOrder decodes an order
// in its canonical encoding (package order), runs the pre-trade checks
// (package risk), signs the order bytes through any provider.Signer with
// domain separation, records the signed order in a tamper-evident audit log
// (package audit), sends it to a venue (package venue), and returns the
// venue's acknowledgement once checked and recorded.
//
// With Config.BatchWindow, the orders that arrive together are signed in
// batches: one signature over the Merkle root of a batch, each order sent
// with its inclusion proof (docs/orders.md, "Batch signing"), so that an
// expensive key (ML-DSA, an HSM, a KMS) signs once per batch.
//
// Errors are *Error values whose Kind says what failed (ErrInvalidOrder,
// ErrRiskRejected, ErrSigning, ErrVenueUnreachable, ErrVenueProtocol,
// ErrTimeout, ErrVenueRejected, ErrAudit) and whose Delivery says whether
// the order may have reached the venue. With Config.VenueVerifier, every
// ack must carry the venue's signature, which the audit log keeps. See
// docs/execadapter.md.
package execadapter
