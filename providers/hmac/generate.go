package hmac

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/tinywindow/tinywindow/provider"
)

// generate writes a fresh random 32-byte key, as hex, to the file named by
// key-source=file:PATH (created with mode 0600; an existing file is never
// overwritten), or imports nothing: a seed key needs no creation.
func generate(_ context.Context, u *provider.URI, req provider.GenerateRequest) (provider.KeyInfo, error) {
	if err := u.Check(Scheme, "key-source"); err != nil {
		return provider.KeyInfo{}, fmt.Errorf("%w (keygen for hmac writes a new key to key-source=file:PATH)", err)
	}
	if req.Algorithm != "" && req.Algorithm != provider.HMACSHA256 {
		return provider.KeyInfo{}, fmt.Errorf("%w: the hmac backend has only %s, not %s", provider.ErrUnsupported, provider.HMACSHA256, req.Algorithm)
	}
	source, _ := u.Get("key-source")
	path, ok := strings.CutPrefix(source, "file:")
	if !ok || path == "" {
		return provider.KeyInfo{}, fmt.Errorf("%w: keygen for hmac needs key-source=file:PATH to write the new key to", provider.ErrInvalidConfig)
	}
	var secret [KeySize]byte
	defer provider.Zero(secret[:])
	if req.Import != "" {
		imported, err := provider.ReadHexSecret(req.Import, -KeySize)
		if err != nil {
			return provider.KeyInfo{}, fmt.Errorf("hmac import: %w", err)
		}
		if len(imported) != KeySize {
			provider.Zero(imported)
			return provider.KeyInfo{}, fmt.Errorf("%w: hmac import: key is %d bytes; keygen writes %d-byte keys", provider.ErrInvalidConfig, len(imported), KeySize)
		}
		copy(secret[:], imported)
		provider.Zero(imported)
	} else if _, err := rand.Read(secret[:]); err != nil {
		return provider.KeyInfo{}, fmt.Errorf("%w: crypto/rand: %w", provider.ErrUnavailable, err)
	}
	text := make([]byte, 2*KeySize+1)
	defer provider.Zero(text)
	hex.Encode(text, secret[:])
	text[2*KeySize] = '\n'
	if err := provider.WriteSecretFile(path, text); err != nil {
		return provider.KeyInfo{}, fmt.Errorf("hmac keygen: %w", err)
	}
	k, err := New(secret[:])
	if err != nil {
		return provider.KeyInfo{}, err
	}
	defer k.Close()
	return k.Info(), nil
}
