package vaulttransit

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tinywindow/tinywindow/provider"
)

// Vault writes signatures and HMACs as "vault:v" + version + ":" + the
// standard base64 of the bytes. This backend's signatures are the bytes
// alone, so that they compare with every other backend's; the prefix is
// written back, with the handle's version, when Vault verifies.

// encodeWire returns Vault's form of sig made by key version v.
func encodeWire(v int, sig []byte) string {
	return "vault:v" + strconv.Itoa(v) + ":" + base64.StdEncoding.EncodeToString(sig)
}

// decodeWire parses Vault's form of a signature or HMAC and checks that key
// version want made it.
func decodeWire(s string, want int) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, "vault:v")
	if !ok {
		return nil, fmt.Errorf("%w: vault answered %.20q…, not vault:vN:BASE64", provider.ErrUnavailable, s)
	}
	ver, b64, ok := strings.Cut(rest, ":")
	n, err := strconv.Atoi(ver)
	if !ok || err != nil || strconv.Itoa(n) != ver {
		return nil, fmt.Errorf("%w: vault answered a signature without a version: %.20q…", provider.ErrUnavailable, s)
	}
	if n != want {
		return nil, fmt.Errorf("%w: vault signed with key version %d, not %d", provider.ErrUnavailable, n, want)
	}
	// Strict: canonical padding bits. Go's decoder skips CR and LF, which
	// Vault never writes: refuse them, so that one answer has one reading.
	sig, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err == nil && strings.ContainsAny(b64, "\r\n") {
		err = errors.New("line breaks in base64")
	}
	if err != nil {
		return nil, fmt.Errorf("%w: vault answered a signature that is not base64: %w", provider.ErrUnavailable, err)
	}
	return sig, nil
}
