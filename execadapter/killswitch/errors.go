package killswitch

import "errors"

var (
	// ErrInvalid matches the error of a malformed request: an empty or
	// malformed scope, an empty or overlong identity or reason, one with
	// control characters.
	ErrInvalid = errors.New("invalid kill switch request")
	// ErrUnknownScope matches the error of a kill or resume whose account
	// or symbol Options.Known refused: one that cannot trade, most likely
	// mistyped; a kill of it would stop nothing.
	ErrUnknownScope = errors.New("kill switch scope names an unknown account or symbol")
	// ErrNotKilled matches the error of a resume of a scope that no kill in
	// force has.
	ErrNotKilled = errors.New("no kill is in force for the scope")
	// ErrSameIdentity matches the error of a resume approved a second time
	// by the identity that approved it first: a resume needs two different
	// identities.
	ErrSameIdentity = errors.New("a resume needs a second, different identity")
	// ErrNotRecorded matches the error of a kill or resume whose event
	// Options.Record could not record. A kill is in force all the same; a
	// resume approval or a resume is refused.
	ErrNotRecorded = errors.New("kill switch event not recorded")
	// ErrNotWitnessed matches the error of a kill, approval or resume that
	// was recorded and took effect, but that Options.Witness could not have
	// witnessed (an audit log's checkpoint not signed in time): nothing is
	// undone, and the record waits for the log's next checkpoint.
	ErrNotWitnessed = errors.New("kill switch event recorded but not yet witnessed")
)
