// Package audit is a tamper-evident, append-only log of everything the
// execution adapter does: every order sent, every acknowledgement, every
// rejection and every failed send.
//
// The records are the leaves of a Merkle tree with RFC 6962 hashing (as
// golang.org/x/mod/sumdb/tlog defines it), kept incrementally. Each record
// carries its own leaf hash, so a changed record is named by Verify; the
// tree's root is signed, at least every second, in checkpoints: C2SP
// tlog-checkpoint texts in C2SP signed notes, which with an Ed25519 key
// verify with the standard note verifier (golang.org/x/mod/sumdb/note).
// A checkpoint covers every record before it; Open and Close each write one.
// Checkpoints are signed outside the writer's lock, with a deadline, so a
// slow key never delays Append.
//
// Every checkpoint is also appended to a checkpoints file beside the log
// and, when witnesses are configured, sent to them over C2SP tlog-witness
// with a consistency proof; their cosignatures are kept in the checkpoints
// file. A log alone cannot prove that nothing was cut off after its last
// checkpoint; the checkpoints file and the witnesses can, up to the last
// checkpoint they hold (see Verify).
//
// Each checkpoint also states, in a signed clock line, the host clock's
// state as the kernel reported it (ReadClock: on Linux adjtimex's
// synchronisation, maximum and estimated error, offset and TAI offset);
// Verify sums these up in Report.Clock, and VerifyOptions.MaxClockError
// fails a log whose checkpoints state a larger error or no synchronised
// clock.
//
// Prove gives, for one record, an inclusion proof against the latest
// checkpoint, which Proof.Check verifies without the log.
//
// Export writes the log, up to its latest checkpoint, as a C2SP tlog-tiles
// log (entry bundles of its records, the tiles of its tree, the signed
// checkpoint) to an ExportTarget such as a DirTarget, incrementally and the
// same bytes for the same log, for any tlog-tiles client to verify.
//
// A Writer offers two durabilities: Always (fsync before Append returns,
// nothing acknowledged is lost) and Batch (group commit every BatchInterval;
// the records after Durable(), appended since the last fsync, are lost in a
// crash, and also when a write or fsync fails with the process alive, after
// which every Append fails). On Open, only an incomplete last record that
// nothing valid follows and no checkpoint covers is taken for the torn tail
// of a crash: it is truncated, and a recovery record says how many records
// and bytes were cut. Anything else malformed is ErrCorrupt, and the file is
// left byte for byte as it is. A log has one writer at a time: Open locks it
// (the lock file FILE.lock) and refuses a second writer at once, naming the
// holder's process; it refuses a log or directory that group or others can
// write, and fsyncs the directory after creating a file. These rules, and the
// scanner, are the venue state's too (the record file of
// internal/recordfile).
package audit
