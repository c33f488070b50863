// Package audit is a tamper-evident, append-only log of everything the
// execution adapter does: every order sent, every acknowledgement, every
// rejection and every failed send.
//
// Each record binds the chain hash of the record before it (SHA-256), and
// checkpoints, signed through any provider.Signer, bind the whole chain up
// to them; a log always ends with a checkpoint when its writer closes, so
// changing, removing, reordering, inserting or cutting off records is found
// by Verify, which names the first bad record.
//
// A Writer offers two durabilities: Always (fsync before Append returns,
// nothing acknowledged is lost) and Batch (group commit every BatchInterval;
// what was appended in the last interval can be lost in a crash). On Open, a
// tail cut short by a crash is truncated, and a recovery record says so.
package audit
