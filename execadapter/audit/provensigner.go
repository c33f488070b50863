package audit

import (
	"context"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/provider"
)

// ProvenSigner is a checkpoint key that signs a checkpoint only with a proof
// that it extends the last checkpoint the key signed for the same origin,
// such as a signing service's key of purpose checkpoints (package
// providers/remote). A [Writer] whose Options.Signer implements it signs
// every checkpoint through SignCheckpoint, never through Sign.
type ProvenSigner interface {
	provider.Signer
	// SignCheckpoint returns the key's signature of the checkpoint whose
	// note text is text: the signature Sign would make of
	// [AppendCheckpointMessage] of text. prev is the tree size of the
	// writer's last checkpoint before this one, 0 for a new log; prove
	// returns the RFC 6962 consistency proof from the tree of the first n
	// records (n at most the checkpoint's size) to the checkpoint's tree.
	SignCheckpoint(ctx context.Context, text []byte, prev int64, prove func(n int64) ([]tlog.Hash, error)) ([]byte, error)
}

// AppendCheckpointMessage appends to dst the bytes a key of algorithm alg
// signs for a checkpoint of note text text: the text alone for Ed25519 (a
// standard C2SP signed note), [CheckpointDomain] followed by the text for
// any other algorithm.
func AppendCheckpointMessage(dst []byte, alg provider.Algorithm, text []byte) []byte {
	return append(append(dst, checkpointDomain(alg)...), text...)
}

// checkpointDomain is what precedes the note text in the bytes a key of
// algorithm alg signs for a checkpoint.
func checkpointDomain(alg provider.Algorithm) string {
	if alg == provider.Ed25519 {
		return ""
	}
	return CheckpointDomain
}
