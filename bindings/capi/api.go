package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tinywindow/tinywindow/provider"
)

// The operations behind the exported functions, on Go types. export.go only
// converts C pointers to slices, calls these, and writes results and errors
// back; everything that can be tested without cgo is here.

// openKey opens the key named by uri and returns its handle.
func openKey(uri string) (uint64, error) {
	if !utf8.ValidString(uri) {
		return 0, fmt.Errorf("%w: key URI is not valid UTF-8", provider.ErrInvalidConfig)
	}
	syncEnv(uri)
	key, err := provider.Open(context.Background(), uri)
	if err != nil {
		return 0, err
	}
	return table.add(key), nil
}

// cEnv looks a variable up in the process's C environment (getenv). It is
// set by export.go; tests replace it.
var cEnv func(name string) (string, bool)

// syncEnv makes Go's view of each variable named by an env:NAME attribute of
// uri match the process environment. Go copies the environment once, when
// the library loads; a host program (Python's os.environ, C's setenv) that
// sets a variable later changes only the C environment, and a secret source
// env:NAME would not see it.
func syncEnv(uri string) {
	if cEnv == nil {
		return
	}
	u, err := provider.ParseURI(uri)
	if err != nil {
		return // openKey reports it
	}
	for _, a := range slices.Concat(u.Path, u.Query) {
		name, ok := strings.CutPrefix(a.Value, "env:")
		if !ok || name == "" || strings.ContainsAny(name, "=\x00") {
			continue
		}
		cv, cok := cEnv(name)
		gv, gok := os.LookupEnv(name)
		switch {
		case cok == gok && cv == gv:
		case cok:
			os.Setenv(name, cv)
		default:
			os.Unsetenv(name)
		}
	}
}

// signInto signs msg with the key of handle h, writes the signature at the
// start of out and returns its length. When out is too short it returns the
// length needed and an error matching errBufferTooSmall; the caller may retry
// with a larger buffer.
func signInto(h uint64, msg, out []byte) (n int, err error) {
	err = table.use(h, func(key provider.Key) error {
		// out is used as the append buffer: a key that implements
		// AppendSigner (HMAC) writes its signature straight into the
		// caller's memory.
		sig, err := provider.SignAppend(context.Background(), key, out[:0], msg)
		if err != nil {
			return err
		}
		n = len(sig)
		if len(sig) > len(out) {
			return fmt.Errorf("%w: the %s signature is %d bytes, the buffer holds %d", errBufferTooSmall, key.Info().Algorithm, len(sig), len(out))
		}
		copy(out, sig) // a no-op move when sig already is out's prefix
		return nil
	})
	return n, err
}

// verify checks sig over msg with the key of handle h.
func verify(h uint64, msg, sig []byte) error {
	return table.use(h, func(key provider.Key) error {
		return key.Verify(context.Background(), msg, sig)
	})
}

// publicKeyPEM returns the PEM "PUBLIC KEY" of the key of handle h.
func publicKeyPEM(h uint64) (pem []byte, err error) {
	err = table.use(h, func(key provider.Key) error {
		p, ok := key.(provider.PublicKeyPEMer)
		if !ok {
			info := key.Info()
			if info.Algorithm.Symmetric() {
				return fmt.Errorf("%w: %s key %s is symmetric (a MAC key) and has no public key", provider.ErrUnsupported, info.Algorithm, info.ID)
			}
			return fmt.Errorf("%w: the %s backend does not export public keys as PEM", provider.ErrUnsupported, info.Backend)
		}
		pem, err = p.PublicKeyPEM()
		return err
	})
	return pem, err
}

// keyInfo is the JSON form of a key's description, with whether the key
// signs deterministically where it says so.
type keyInfo struct {
	provider.KeyInfo
	Deterministic *bool `json:"deterministic,omitempty"`
}

// keyInfoJSON returns the description of the key of handle h as JSON:
// {"id":…,"algorithm":…,"backend":…,"version":…,"deterministic":…}.
func keyInfoJSON(h uint64) (js []byte, err error) {
	err = table.use(h, func(key provider.Key) error {
		info := keyInfo{KeyInfo: key.Info()}
		if d, ok := key.(provider.Determinism); ok {
			det := d.Deterministic()
			info.Deterministic = &det
		}
		js, err = json.Marshal(info)
		return err
	})
	return js, err
}

// closeKey forgets handle h and closes its key once the calls still using it
// have returned.
func closeKey(h uint64) error {
	e, err := table.remove(h)
	if err != nil {
		return err
	}
	e.inUse.Lock()
	defer e.inUse.Unlock()
	return e.key.Close()
}

// backendInfo is the JSON form of one registered backend.
type backendInfo struct {
	Scheme      string               `json:"scheme"`
	Description string               `json:"description"`
	Algorithms  []provider.Algorithm `json:"algorithms"`
	Keygen      bool                 `json:"keygen"`
}

// providersJSON lists the registered backends as a JSON array.
func providersJSON() ([]byte, error) {
	list := []backendInfo{}
	for _, b := range provider.Backends() {
		list = append(list, backendInfo{b.Scheme, b.Description, b.Algorithms, b.Generate != nil})
	}
	return json.Marshal(list)
}
