package demo

import (
	"bytes"
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
// file, beside the audit log: FILE.checkpoint-key.pem, the private key.
// CheckpointPublicKeySuffix ends the name of its public key's file,
// FILE.checkpoint-key.pub.pem, which is all an auditor needs.
const (
	CheckpointKeySuffix       = ".checkpoint-key.pem"
	CheckpointPublicKeySuffix = ".checkpoint-key.pub.pem"
)

// CheckpointKeyURI returns the key URI an auditor verifies the audit log at
// auditPath with: a verify-only pem key read from the public key file
// auditPath+CheckpointPublicKeySuffix, by absolute path. It is what
// `tinywindow audit verify --signer` and `audit check-proof --verifier`
// take.
func CheckpointKeyURI(auditPath string) (string, error) {
	return pemURI(auditPath, "pub-source", CheckpointPublicKeySuffix)
}

// pemURI returns the pem key URI whose attribute attr reads the file
// auditPath+suffix, by absolute path.
func pemURI(auditPath, attr, suffix string) (string, error) {
	abs, err := filepath.Abs(auditPath + suffix)
	if err != nil {
		return "", fmt.Errorf("checkpoint key of %s: %w", auditPath, err)
	}
	u := provider.URI{Scheme: pem.Scheme, Path: []provider.Attr{{Name: attr, Value: "file:" + abs}}}
	return u.String(), nil
}

// OpenCheckpointKey opens the dedicated checkpoint key of the audit log at
// auditPath, first making it if its file does not exist: a new Ed25519 key
// from crypto/rand, written as PKCS#8 PEM to a new file of mode 0600 (never
// over an existing one). A key file that exists is reused on every later
// run, whatever key the pem backend reads in it; like any pem key file it
// must be one that group and others can neither read nor write. Its public
// key is written beside it (CheckpointPublicKeySuffix, mode 0644) when that
// file does not exist, and must match the key when it does. uri is
// CheckpointKeyURI, the verify-only key an auditor uses; created reports
// whether the key was made by this call.
func OpenCheckpointKey(ctx context.Context, auditPath string) (key provider.Key, uri string, created bool, err error) {
	if uri, err = CheckpointKeyURI(auditPath); err != nil {
		return nil, "", false, err
	}
	private, err := pemURI(auditPath, "key-source", CheckpointKeySuffix)
	if err != nil {
		return nil, "", false, err
	}
	path := auditPath + CheckpointKeySuffix
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		return nil, "", false, fmt.Errorf("checkpoint key of audit log %s: %w", auditPath, err)
	}
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		_, gerr := provider.Generate(ctx, private, provider.GenerateRequest{Algorithm: provider.Ed25519})
		// Another run may have made it in the meantime: open what is there.
		if _, err := os.Lstat(path); gerr != nil && err != nil {
			return nil, "", false, fmt.Errorf("checkpoint key %s: %w", path, gerr)
		}
		created = gerr == nil
	}
	if key, err = pem.Open(ctx, private); err != nil {
		return nil, "", false, fmt.Errorf("checkpoint key %s: %w", path, err)
	}
	if err := writePublicKey(key, auditPath+CheckpointPublicKeySuffix); err != nil {
		key.Close()
		return nil, "", false, err
	}
	return key, uri, created, nil
}

// writePublicKey writes key's public key as PEM to a new file at path, or
// checks that the file already there holds it.
func writePublicKey(key provider.Key, path string) error {
	pk, ok := key.(provider.PublicKeyPEMer)
	if !ok {
		return fmt.Errorf("checkpoint key %s has no public key to write to %s", key.Info().ID, path)
	}
	want, err := pk.PublicKeyPEM()
	if err != nil {
		return fmt.Errorf("checkpoint key's public key for %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		have, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("checkpoint public key: %w", err)
		}
		if !bytes.Equal(have, want) {
			return fmt.Errorf("checkpoint public key %s does not hold the public key of %s; remove it to have it written again", path, path[:len(path)-len(CheckpointPublicKeySuffix)]+CheckpointKeySuffix)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("checkpoint public key: %w", err)
	}
	if _, err := f.Write(want); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("checkpoint public key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("checkpoint public key: %w", err)
	}
	return f.Close()
}
