// Package killswitch holds the rules of a signer's kill switch: what a kill
// stops (a [Scope]: every order, one account's or one symbol's), the set of
// kills in force, the four-eyes rule that lifts one (a resume needs two
// different identities), and the check every order passes before it is
// signed.
//
// The check is race-free: once [Switch.Kill] returns, no order in the
// kill's scope passes [Switch.Enter] until the kill is lifted, and every
// order that passed before the kill has left ([Pass.Leave], called once the
// order is signed or has failed). An order's check is an atomic load of an
// immutable snapshot of the kills and two atomic additions; it takes no
// lock and does not allocate.
//
// Every kill, resume approval and resume is an [Event] (who, when, scope,
// reason) handed to [Options.Record], which a signer points at its audit
// log, and then witnessed ([Options.Witness]): the execution adapter
// records it there and has the log sign a checkpoint at once. A kill is in
// force before it is recorded, and stays in force if recording fails; an
// approval or a resume is refused unless it is recorded, so every event in
// the log took effect.
//
// The package knows nothing of orders' encoding, signers or logs, so the
// execution adapter and a signing service share it.
package killswitch
