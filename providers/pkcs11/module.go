//go:build cgo && !nopkcs11

package pkcs11

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/miekg/pkcs11"
	"github.com/tinywindow/tinywindow/internal/printable"
	"github.com/tinywindow/tinywindow/provider"
)

// module is one loaded PKCS#11 module, shared by every key that names its
// path. It is initialised when its first user acquires it and finalised when
// the last one releases it: C_Initialize runs once per process however many
// keys use the module.
type module struct {
	path string
	ctx  *pkcs11.Ctx

	// Guarded by modules.mu.
	refs  int
	owned bool // we called C_Initialize, so we call C_Finalize

	loginMu sync.Mutex
	logins  map[uint][sha256.Size]byte // slot → hash of the PIN that logged in
}

var modules struct {
	mu     sync.Mutex
	byPath map[string]*module
}

// acquireModule loads and initialises the module at path, or returns the one
// already in use, and counts one more user of it.
func acquireModule(path string) (*module, error) {
	modules.mu.Lock()
	defer modules.mu.Unlock()
	if m := modules.byPath[path]; m != nil && m.refs > 0 {
		m.refs++
		return m, nil
	}
	m := modules.byPath[path]
	if m == nil {
		st, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("%w: pkcs11 module-path %q: %w", provider.ErrInvalidConfig, path, printable.Error(err))
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("%w: pkcs11 module-path %q is not a regular file", provider.ErrInvalidConfig, path)
		}
		ctx := pkcs11.New(path)
		if ctx == nil {
			return nil, fmt.Errorf("%w: pkcs11 module-path %q cannot be loaded as a PKCS#11 module (dlopen failed or C_GetFunctionList is missing)", provider.ErrInvalidConfig, path)
		}
		m = &module{path: path, ctx: ctx}
		if modules.byPath == nil {
			modules.byPath = map[string]*module{}
		}
		modules.byPath[path] = m
	}
	err := m.ctx.Initialize()
	switch rv(err) {
	case pkcs11.CKR_OK:
		m.owned = true
	case pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED:
		// Someone else in the process initialised it; leave it to them.
		m.owned = false
	default:
		e := &provider.OpError{Backend: Scheme, Op: "C_Initialize", Key: path, Kind: provider.ErrUnavailable, Err: err}
		if strings.Contains(path, "softhsm") {
			e.Remedy = "for SoftHSM2, check that SOFTHSM2_CONF names a readable config whose tokendir exists"
		}
		return nil, e
	}
	m.refs = 1
	m.logins = map[uint][sha256.Size]byte{}
	return m, nil
}

// release counts one user less; the last one finalises the module. The
// library stays loaded, so that a later acquire only initialises it again.
func (m *module) release() {
	modules.mu.Lock()
	defer modules.mu.Unlock()
	m.refs--
	if m.refs > 0 {
		return
	}
	if m.owned {
		m.ctx.Finalize()
	}
	m.owned = false
	m.loginMu.Lock()
	m.logins = nil
	m.loginMu.Unlock()
}

// login logs the user in to the token of sh's slot. A token already logged in
// by this process with the same PIN is fine; with another PIN it is refused,
// since PKCS#11 login state is shared by every session of the process and a
// wrong PIN would otherwise go unnoticed.
func (m *module) login(sh pkcs11.SessionHandle, slot uint, pin []byte, key string) error {
	sum := sha256.Sum256(pin)
	m.loginMu.Lock()
	defer m.loginMu.Unlock()
	err := m.ctx.Login(sh, pkcs11.CKU_USER, string(pin))
	switch rv(err) {
	case pkcs11.CKR_OK:
		if m.logins != nil {
			m.logins[slot] = sum
		}
		return nil
	case pkcs11.CKR_USER_ALREADY_LOGGED_IN:
		if prev, ok := m.logins[slot]; ok && subtle.ConstantTimeCompare(prev[:], sum[:]) != 1 {
			return &provider.OpError{Backend: Scheme, Op: "C_Login", Key: key, Kind: provider.ErrPermissionDenied,
				Err: fmt.Errorf("the token in slot %d is already logged in by this process with another PIN", slot), Remedy: "check pin-source"}
		}
		return nil
	}
	return opError("C_Login", key, err)
}
