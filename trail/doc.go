// Package trail is a central, verifiable log of the signed checkpoints of a
// firm's audit logs: one C2SP tlog-tiles log, written by Tessera, whose
// entries are the checkpoints of the registered adapter logs.
//
// An adapter sends each checkpoint it signs in the C2SP tlog-witness
// add-checkpoint shape: the size of the last checkpoint the trail accepted
// for its origin, a consistency proof from it, and the signed note. The
// trail checks the signature against the origin's registered key and the
// proof against the last accepted checkpoint before it appends; it refuses a
// fork or a shrink and keeps the refused pair as evidence. Its tiles are
// served over HTTP in the C2SP layout, so any tlog-tiles client can check
// that an adapter's checkpoint is in it, and, with the adapter's exported
// log (audit export), that an order is.
//
// The trail lives in a module of its own: Tessera, the AWS SDK and the
// database driver it links are not something an importer of provider should
// pay for.
package trail
