package audit

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/note"

	"github.com/tinywindow/tinywindow/provider"
)

// NoteSigner returns k as a standard C2SP signed-note signer named name: an
// Ed25519 key (of any backend) whose signatures are raw Ed25519 over the
// note text, under the key ID note.NewEd25519VerifierKey gives, so that
// note.Sign makes notes any C2SP client verifies with
// CheckpointVerifierKey(name, k). ctx is the context of every signature.
// A key of another algorithm, or one that does not give its public key,
// is refused with an error matching provider.ErrInvalidConfig.
func NoteSigner(ctx context.Context, name string, k provider.Signer) (note.Signer, error) {
	if alg := k.Info().Algorithm; alg != provider.Ed25519 {
		return nil, fmt.Errorf("%w: note signer %q: a %s key cannot sign standard signed notes; give an Ed25519 key", provider.ErrInvalidConfig, name, alg)
	}
	return newNoteKey(ctx, name, k.Info(), k)
}
