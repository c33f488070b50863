package demo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pem"
)

// CheckpointKeySuffix ends the name of the demo's dedicated checkpoint key
// file, beside the audit log: FILE.checkpoint-key.pem.
const CheckpointKeySuffix = ".checkpoint-key.pem"

// CheckpointKeyURI returns the key URI of the dedicated checkpoint key of
// the audit log at auditPath: a pem key in auditPath+CheckpointKeySuffix,
// by absolute path. It is what `tinywindow audit verify --signer` takes.
func CheckpointKeyURI(auditPath string) (string, error) {
	abs, err := filepath.Abs(auditPath + CheckpointKeySuffix)
	if err != nil {
		return "", fmt.Errorf("checkpoint key of %s: %w", auditPath, err)
	}
	u := provider.URI{Scheme: pem.Scheme, Path: []provider.Attr{{Name: "key-source", Value: "file:" + abs}}}
	return u.String(), nil
}

// OpenCheckpointKey opens the dedicated checkpoint key of the audit log at
// auditPath (CheckpointKeyURI), first making it if its file does not exist:
// a new Ed25519 key from crypto/rand, written as PKCS#8 PEM to a new file of
// mode 0600 (never over an existing one). A key file that exists is reused
// on every later run, whatever key the pem backend reads in it; like any
// pem key file it must be one that group and others can neither read nor
// write. created reports whether the key was made by this call.
func OpenCheckpointKey(ctx context.Context, auditPath string) (key provider.Key, uri string, created bool, err error) {
	if uri, err = CheckpointKeyURI(auditPath); err != nil {
		return nil, "", false, err
	}
	path := auditPath + CheckpointKeySuffix
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		return nil, "", false, fmt.Errorf("checkpoint key of audit log %s: %w", auditPath, err)
	}
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		_, gerr := provider.Generate(ctx, uri, provider.GenerateRequest{Algorithm: provider.Ed25519})
		// Another run may have made it in the meantime: open what is there.
		if _, err := os.Lstat(path); gerr != nil && err != nil {
			return nil, "", false, fmt.Errorf("checkpoint key %s: %w", path, gerr)
		}
		created = gerr == nil
	}
	if key, err = pem.Open(ctx, uri); err != nil {
		return nil, "", false, fmt.Errorf("checkpoint key %s: %w", path, err)
	}
	return key, uri, created, nil
}
