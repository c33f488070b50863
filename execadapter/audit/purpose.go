package audit

import (
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// ErrSharedKey matches the error of CheckDedicatedKey: the checkpoint key is
// also a key of another purpose. It also matches provider.ErrInvalidConfig.
var ErrSharedKey = fmt.Errorf("%w: the checkpoint key is shared", provider.ErrInvalidConfig)

// CheckDedicatedKey returns nil if checkpoint, the key that signs a log's
// checkpoints, is not the same key (provider.SameKey) as other, the key of
// purpose (for example "order"); otherwise an error matching ErrSharedKey
// that names the key and the cost. A checkpoint key must never sign bytes
// a caller chooses: whoever can have it sign chosen bytes can forge the
// log's history (an Ed25519 checkpoint signs the raw note text; any other
// key signs CheckpointDomain and the text, which raw signing access to the
// key also makes).
func CheckDedicatedKey(checkpoint, other interface{ Info() provider.KeyInfo }, purpose string) error {
	if !provider.SameKey(checkpoint, other) {
		return nil
	}
	info := checkpoint.Info()
	return fmt.Errorf("%w: key %s (%s, %s) signs the audit checkpoints and is also the %s key: whoever can have it sign bytes of their choosing can sign a checkpoint of a rewritten log; give the log a checkpoint key of its own, or allow the sharing explicitly",
		ErrSharedKey, info.ID, info.Algorithm, info.Backend, purpose)
}

// CheckpointKey returns the key that signs the log's checkpoints
// (Options.Signer).
func (w *Writer) CheckpointKey() provider.Signer { return w.opts.Signer }
