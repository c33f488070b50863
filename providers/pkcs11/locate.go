//go:build cgo && !nopkcs11

package pkcs11

import (
	"crypto"

	"github.com/miekg/pkcs11"
	"github.com/tinywindow/tinywindow/provider"
)

// located is what locate learnt about the key's objects.
type located struct {
	priv, pub  pkcs11.ObjectHandle // pub is 0 when the token has no public object
	keyType    uint
	ecParams   []byte
	ecPoint    []byte
	modulus    []byte
	exponent   []byte
	valueLen   int
	canSign    bool
	canVerify  bool
	alwaysAuth bool
}

// locateLocked opens a new holder session, logs in, finds the key's objects
// and, where allowed, copies them to session objects owned by the holder. The
// caller holds reloadMu.
func (k *Key) locateLocked() (*located, error) {
	ctx := k.mod.ctx
	if k.hasHolder {
		if _, err := ctx.GetSessionInfo(k.holder); err != nil {
			// The holder died (and its session objects with it).
			ctx.CloseSession(k.holder)
			k.hasHolder = false
		}
		// A live holder is kept: other goroutines may be signing with
		// its copies right now. New copies join it; all go at Close.
	}
	opened := false
	if !k.hasHolder {
		sh, err := ctx.OpenSession(k.slot, pkcs11.CKF_SERIAL_SESSION)
		if err != nil {
			return nil, opError("C_OpenSession", k.name, err)
		}
		k.holder, k.hasHolder, opened = sh, true, true
	}
	sh := k.holder
	if k.pin != nil {
		if err := k.mod.login(sh, k.slot, k.pin, k.name); err != nil {
			return nil, err
		}
	}
	loc, err := k.find(sh)
	if err != nil {
		return nil, err
	}
	h := &handles{sign: loc.priv, verify: loc.pub}
	if loc.keyType == pkcs11.CKK_GENERIC_SECRET || loc.keyType == pkcs11.CKK_SHA256_HMAC {
		h.verify = loc.priv
	}
	if k.cfg.SessionKeys {
		if c, ok := k.copyToSession(sh, h); ok {
			h = c
		}
	}
	if !h.copied && opened {
		// No copies: the holder has nothing to hold. It joins the pool
		// rather than closing, which could end the token's login if it
		// were the process's last session there.
		k.pool.adopt(sh)
		k.hasHolder = false
	}
	k.handles.Store(h)
	return loc, nil
}

// copyToSession copies the key's objects to session objects and reports
// whether it could. A token that refuses the copy (CKA_COPYABLE false,
// C_CopyObject not supported) keeps the token objects.
func (k *Key) copyToSession(sh pkcs11.SessionHandle, h *handles) (*handles, bool) {
	// SoftHSM, and other tokens that lock a file or a store for each use of
	// a token object, work with session objects several times faster.
	tmpl := []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false)}
	sign, err := k.mod.ctx.CopyObject(sh, h.sign, tmpl)
	if err != nil {
		return nil, false
	}
	out := &handles{sign: sign, verify: h.verify, copied: true}
	switch {
	case h.verify == h.sign:
		out.verify = sign
	case h.verify != 0:
		if v, err := k.mod.ctx.CopyObject(sh, h.verify, tmpl); err == nil {
			out.verify = v
		}
	}
	return out, true
}

// reload looks the key up again after an operation found the handles in
// stale no longer valid. Goroutines that saw the same stale handles wait for
// one reload.
func (k *Key) reload(stale *handles) error {
	k.reloadMu.Lock()
	defer k.reloadMu.Unlock()
	if k.closed.Load() {
		return &provider.OpError{Backend: Scheme, Key: k.name, Kind: provider.ErrClosed}
	}
	if k.handles.Load() != stale {
		return nil // another goroutine reloaded already
	}
	k.reloads.Add(1)
	loc, err := k.locateLocked()
	if err != nil {
		return err
	}
	if pub, _, err := k.publicKey(loc); err != nil {
		return err
	} else if k.pub != nil && !k.pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
		return provider.OpErrorf(Scheme, "", k.name, provider.ErrKeyNotFound, "the token now holds another key there than the one opened (%s)", k.info.ID)
	}
	return nil
}
