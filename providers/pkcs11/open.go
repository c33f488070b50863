//go:build cgo && !nopkcs11

package pkcs11

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"

	"github.com/miekg/pkcs11"
	"github.com/tinywindow/tinywindow/provider"
)

// Open opens the key named by a pkcs11 URI (see the package documentation).
// It returns a *Key for an HMAC-SHA256 key and an *AsymmetricKey otherwise.
func Open(ctx context.Context, uri string) (provider.Key, error) {
	u, err := provider.ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return open(ctx, u)
}

func open(ctx context.Context, u *provider.URI) (provider.Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	cfg, err := ParseConfig(u)
	if err != nil {
		return nil, err
	}
	pin, err := readPIN(cfg)
	if err != nil {
		return nil, err
	}
	k, err := openKey(cfg, pin)
	if err != nil {
		provider.Zero(pin)
		return nil, err
	}
	if k.info.Algorithm == provider.HMACSHA256 {
		return k, nil
	}
	return &AsymmetricKey{k}, nil
}

func readPIN(cfg *Config) ([]byte, error) {
	if cfg.PINSource == "" {
		return nil, nil
	}
	raw, err := provider.ReadSecret(cfg.PINSource)
	if err != nil {
		return nil, fmt.Errorf("pkcs11 pin-source: %w", err)
	}
	pin := bytes.TrimRight(raw, "\r\n")
	if len(pin) == 0 {
		provider.Zero(raw)
		return nil, fmt.Errorf("%w: pkcs11 pin-source %q holds an empty PIN", provider.ErrInvalidConfig, cfg.PINSource)
	}
	out := append([]byte(nil), pin...)
	provider.Zero(raw)
	return out, nil
}

// openKey loads the module, finds the token and the key, and prepares the
// session pool. On error everything it acquired is released.
func openKey(cfg *Config, pin []byte) (_ *Key, err error) {
	mod, err := acquireModule(cfg.ModulePath)
	if err != nil {
		return nil, err
	}
	k := &Key{cfg: cfg, mod: mod, pin: pin}
	defer func() {
		if err != nil {
			k.reloadMu.Lock()
			if k.hasHolder {
				mod.ctx.CloseSession(k.holder)
				k.hasHolder = false
			}
			k.reloadMu.Unlock()
			if k.pool != nil {
				k.pool.close()
			}
			mod.release()
		}
	}()
	slot, ti, err := mod.findSlot(cfg)
	if err != nil {
		return nil, err
	}
	k.slot = slot
	max := cfg.MaxSessions
	if lim := ti.MaxSessionCount; lim != pkcs11.CK_EFFECTIVELY_INFINITE && lim != pkcs11.CK_UNAVAILABLE_INFORMATION && int(lim) > 1 && int(lim)-1 < max {
		max = int(lim) - 1 // one is the holder of the session copies
	}
	k.pool = newPool(mod, slot, max)

	k.reloadMu.Lock()
	loc, err := k.locateLocked()
	k.reloadMu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := k.setup(loc); err != nil {
		return nil, err
	}
	if k.info.Algorithm == provider.HMACSHA256 {
		id, err := k.hmacKeyID()
		if err != nil {
			return nil, err
		}
		k.info.ID = id
	}
	return k, nil
}

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
			return nil, wrap("C_OpenSession", err)
		}
		k.holder, k.hasHolder, opened = sh, true, true
	}
	sh := k.holder
	if k.pin != nil {
		if err := k.mod.login(sh, k.slot, k.pin); err != nil {
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

// copyToSession copies the key's objects to session objects, which SoftHSM
// (and other tokens that lock a file or a store per token-object use) works
// with several times faster. A token that refuses the copy (CKA_COPYABLE
// false, C_CopyObject not supported) keeps the token objects.
func (k *Key) copyToSession(sh pkcs11.SessionHandle, h *handles) (*handles, bool) {
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
		return fmt.Errorf("%w: pkcs11 key %s", provider.ErrClosed, k.info.ID)
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
		return fmt.Errorf("%w: pkcs11: %s in %s now holds another key than the one opened (%s)", provider.ErrKeyNotFound, k.cfg.keyDesc(), k.cfg.tokenDesc(), k.info.ID)
	}
	return nil
}

// find looks up the private or secret key object the URI names, and its
// public key object if any.
func (k *Key) find(sh pkcs11.SessionHandle) (*located, error) {
	privs, err := k.findObjects(sh, pkcs11.CKO_PRIVATE_KEY)
	if err != nil {
		return nil, err
	}
	secrets, err := k.findObjects(sh, pkcs11.CKO_SECRET_KEY)
	if err != nil {
		return nil, err
	}
	all := append(privs, secrets...)
	switch {
	case len(all) == 0:
		hint := ""
		if k.pin == nil {
			hint = "; no pin-source was given, and private objects are invisible without login"
		}
		if pubs, _ := k.findObjects(sh, pkcs11.CKO_PUBLIC_KEY); len(pubs) > 0 {
			hint += "; only a public key matches, which cannot sign"
		}
		return nil, fmt.Errorf("%w: pkcs11: no private or secret key with %s in %s%s", provider.ErrKeyNotFound, k.cfg.keyDesc(), k.cfg.tokenDesc(), hint)
	case len(all) > 1:
		return nil, fmt.Errorf("%w: pkcs11: %d keys match %s in %s; add id=... (CKA_ID) to pick one", provider.ErrInvalidConfig, len(all), k.cfg.keyDesc(), k.cfg.tokenDesc())
	}
	loc := &located{priv: all[0]}
	kt, err := k.attr(sh, loc.priv, pkcs11.CKA_KEY_TYPE)
	if err != nil || len(kt) == 0 {
		return nil, fmt.Errorf("%w: pkcs11: reading CKA_KEY_TYPE of %s: %w", provider.ErrUnavailable, k.cfg.keyDesc(), err)
	}
	loc.keyType = ulong(kt)
	loc.canSign = k.boolAttr(sh, loc.priv, pkcs11.CKA_SIGN)
	loc.alwaysAuth = k.boolAttr(sh, loc.priv, pkcs11.CKA_ALWAYS_AUTHENTICATE)
	switch loc.keyType {
	case pkcs11.CKK_GENERIC_SECRET, pkcs11.CKK_SHA256_HMAC:
		loc.canVerify = k.boolAttr(sh, loc.priv, pkcs11.CKA_VERIFY)
		if v, err := k.attr(sh, loc.priv, pkcs11.CKA_VALUE_LEN); err == nil && len(v) > 0 {
			loc.valueLen = int(ulong(v))
		}
	case pkcs11.CKK_EC, ckkECEdwards, pkcs11.CKK_RSA:
		pubs, err := k.findObjects(sh, pkcs11.CKO_PUBLIC_KEY)
		if err != nil {
			return nil, err
		}
		if len(pubs) == 1 {
			loc.pub = pubs[0]
		}
		loc.ecParams, _ = k.attr(sh, loc.priv, pkcs11.CKA_EC_PARAMS)
		if loc.keyType == pkcs11.CKK_RSA {
			loc.modulus, _ = k.attr(sh, loc.priv, pkcs11.CKA_MODULUS)
			loc.exponent, _ = k.attr(sh, loc.priv, pkcs11.CKA_PUBLIC_EXPONENT)
		}
		if loc.pub != 0 {
			if loc.keyType == pkcs11.CKK_RSA && (len(loc.modulus) == 0 || len(loc.exponent) == 0) {
				loc.modulus, _ = k.attr(sh, loc.pub, pkcs11.CKA_MODULUS)
				loc.exponent, _ = k.attr(sh, loc.pub, pkcs11.CKA_PUBLIC_EXPONENT)
			}
			if loc.keyType != pkcs11.CKK_RSA {
				loc.ecPoint, _ = k.attr(sh, loc.pub, pkcs11.CKA_EC_POINT)
				if len(loc.ecParams) == 0 {
					loc.ecParams, _ = k.attr(sh, loc.pub, pkcs11.CKA_EC_PARAMS)
				}
			}
		}
	}
	return loc, nil
}

func (k *Key) findObjects(sh pkcs11.SessionHandle, class uint) ([]pkcs11.ObjectHandle, error) {
	tmpl := []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, class)}
	if k.cfg.Object != "" {
		tmpl = append(tmpl, pkcs11.NewAttribute(pkcs11.CKA_LABEL, k.cfg.Object))
	}
	if k.cfg.ID != nil {
		tmpl = append(tmpl, pkcs11.NewAttribute(pkcs11.CKA_ID, k.cfg.ID))
	}
	tmpl = append(tmpl, pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true))
	ctx := k.mod.ctx
	if err := ctx.FindObjectsInit(sh, tmpl); err != nil {
		return nil, wrap("C_FindObjectsInit", err)
	}
	objs, _, err := ctx.FindObjects(sh, 16)
	ferr := ctx.FindObjectsFinal(sh)
	if err != nil {
		return nil, wrap("C_FindObjects", err)
	}
	if ferr != nil {
		return nil, wrap("C_FindObjectsFinal", ferr)
	}
	return objs, nil
}

func (k *Key) attr(sh pkcs11.SessionHandle, obj pkcs11.ObjectHandle, typ uint) ([]byte, error) {
	attrs, err := k.mod.ctx.GetAttributeValue(sh, obj, []*pkcs11.Attribute{pkcs11.NewAttribute(typ, nil)})
	if err != nil {
		return nil, err
	}
	if len(attrs) != 1 {
		return nil, fmt.Errorf("C_GetAttributeValue returned %d attributes", len(attrs))
	}
	return attrs[0].Value, nil
}

func (k *Key) boolAttr(sh pkcs11.SessionHandle, obj pkcs11.ObjectHandle, typ uint) bool {
	v, err := k.attr(sh, obj, typ)
	return err == nil && len(v) == 1 && v[0] != 0
}

// ulong decodes a CK_ULONG attribute value, in the host's byte order.
func ulong(b []byte) uint {
	switch len(b) {
	case 8:
		return uint(binary.NativeEndian.Uint64(b))
	case 4:
		return uint(binary.NativeEndian.Uint32(b))
	}
	return ^uint(0)
}

// setup derives the algorithm, mechanisms, public key and key ID from what
// locate found, and checks them against the URI.
func (k *Key) setup(loc *located) error {
	desc := fmt.Sprintf("%s in %s", k.cfg.keyDesc(), k.cfg.tokenDesc())
	if !loc.canSign {
		return fmt.Errorf("%w: pkcs11: key %s has CKA_SIGN false and cannot sign", provider.ErrUnsupported, desc)
	}
	if loc.alwaysAuth {
		return fmt.Errorf("%w: pkcs11: key %s has CKA_ALWAYS_AUTHENTICATE, which needs a PIN for every signature; use a key without it", provider.ErrUnsupported, desc)
	}
	pub, alg, err := k.publicKey(loc)
	if err != nil {
		return err
	}
	if want := k.cfg.Algorithm; want != "" && want != alg {
		if !(alg == provider.RSAPSSSHA256 && want == provider.RSAPKCS1SHA256) {
			return fmt.Errorf("%w: pkcs11: key %s is for %s, not for %s (alg=%s in the URI); name a key of that type, or drop alg", provider.ErrUnsupported, desc, alg, want, want)
		}
		alg = want
	}
	k.info = provider.KeyInfo{Algorithm: alg, Backend: Scheme}
	switch alg {
	case provider.HMACSHA256:
		if loc.valueLen != 0 && loc.valueLen < 32 {
			return fmt.Errorf("%w: pkcs11: HMAC key %s is %d bytes; HMAC-SHA256 keys must be at least 32", provider.ErrUnsupported, desc, loc.valueLen)
		}
		if !loc.canVerify {
			return fmt.Errorf("%w: pkcs11: HMAC key %s has CKA_VERIFY false; tags are verified in the token", provider.ErrUnsupported, desc)
		}
		k.signMech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_SHA256_HMAC, nil)}
		return nil
	case provider.ECDSAP256SHA256:
		k.hash, k.coordSize = crypto.SHA256, 32
		k.digestMech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil)}
	case provider.ECDSAP384SHA384:
		k.hash, k.coordSize = crypto.SHA384, 48
		k.digestMech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil)}
	case provider.Ed25519:
		k.signMech = []*pkcs11.Mechanism{pkcs11.NewMechanism(ckmEdDSA, nil)}
	case provider.RSAPSSSHA256:
		k.hash = crypto.SHA256
		k.signMech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_SHA256_RSA_PKCS_PSS,
			pkcs11.NewPSSParams(pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256, 32))}
	case provider.RSAPKCS1SHA256:
		k.hash = crypto.SHA256
		k.signMech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_SHA256_RSA_PKCS, nil)}
	}
	if k.cfg.VerifyInHSM && loc.pub == 0 {
		return fmt.Errorf("%w: pkcs11: verify=hsm, but the token has no public key object for %s", provider.ErrKeyNotFound, desc)
	}
	spki, err := marshalSPKI(pub)
	if err != nil {
		return fmt.Errorf("%w: pkcs11: encoding the public key of %s: %w", provider.ErrUnavailable, desc, err)
	}
	k.pub, k.spki = pub, spki
	k.info.ID = provider.KeyIDFromPublic(spki)
	return nil
}

// publicKey decodes the public key and names the algorithm of the located
// key. It returns a nil public key for a secret key.
func (k *Key) publicKey(loc *located) (crypto.PublicKey, provider.Algorithm, error) {
	desc := fmt.Sprintf("%s in %s", k.cfg.keyDesc(), k.cfg.tokenDesc())
	switch loc.keyType {
	case pkcs11.CKK_GENERIC_SECRET, pkcs11.CKK_SHA256_HMAC:
		return nil, provider.HMACSHA256, nil
	case pkcs11.CKK_EC:
		var curve elliptic.Curve
		var alg provider.Algorithm
		switch {
		case bytes.Equal(loc.ecParams, oidP256):
			curve, alg = elliptic.P256(), provider.ECDSAP256SHA256
		case bytes.Equal(loc.ecParams, oidP384):
			curve, alg = elliptic.P384(), provider.ECDSAP384SHA384
		default:
			return nil, "", fmt.Errorf("%w: pkcs11: EC key %s is on a curve other than P-256 and P-384 (CKA_EC_PARAMS %x)", provider.ErrUnsupported, desc, loc.ecParams)
		}
		point, err := unwrapPoint(loc.ecPoint)
		if err != nil {
			return nil, "", fmt.Errorf("%w: pkcs11: EC key %s: %w", provider.ErrKeyNotFound, desc, err)
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
		if err != nil {
			return nil, "", fmt.Errorf("%w: pkcs11: EC key %s: CKA_EC_POINT: %w", provider.ErrUnavailable, desc, err)
		}
		return pub, alg, nil
	case ckkECEdwards:
		if !bytes.Equal(loc.ecParams, oidEd25519) && !isPrintable(loc.ecParams, "edwards25519") {
			return nil, "", fmt.Errorf("%w: pkcs11: Edwards key %s is not an Ed25519 key (CKA_EC_PARAMS %x)", provider.ErrUnsupported, desc, loc.ecParams)
		}
		point, err := unwrapPoint(loc.ecPoint)
		if err != nil {
			return nil, "", fmt.Errorf("%w: pkcs11: Ed25519 key %s: %w", provider.ErrKeyNotFound, desc, err)
		}
		if len(point) != ed25519.PublicKeySize {
			return nil, "", fmt.Errorf("%w: pkcs11: Ed25519 key %s: CKA_EC_POINT holds %d bytes, want %d", provider.ErrUnavailable, desc, len(point), ed25519.PublicKeySize)
		}
		return ed25519.PublicKey(bytes.Clone(point)), provider.Ed25519, nil
	case pkcs11.CKK_RSA:
		if len(loc.modulus) == 0 || len(loc.exponent) == 0 {
			return nil, "", fmt.Errorf("%w: pkcs11: RSA key %s: the token shows neither CKA_MODULUS nor a public key object", provider.ErrKeyNotFound, desc)
		}
		e := new(big.Int).SetBytes(loc.exponent)
		if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 {
			return nil, "", fmt.Errorf("%w: pkcs11: RSA key %s has an unusable public exponent", provider.ErrUnsupported, desc)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(loc.modulus), E: int(e.Int64())}
		if pub.N.BitLen() < 2048 {
			return nil, "", fmt.Errorf("%w: pkcs11: RSA key %s is %d bits; at least 2048 are required", provider.ErrUnsupported, desc, pub.N.BitLen())
		}
		return pub, provider.RSAPSSSHA256, nil
	}
	return nil, "", fmt.Errorf("%w: pkcs11: key %s has key type 0x%x, which this backend does not use (HMAC generic secret, EC P-256/P-384, Ed25519, RSA)", provider.ErrUnsupported, desc, loc.keyType)
}

// unwrapPoint returns the point of a CKA_EC_POINT value: PKCS#11 says a DER
// OCTET STRING around it, some tokens give it bare.
func unwrapPoint(v []byte) ([]byte, error) {
	if len(v) == 0 {
		return nil, fmt.Errorf("the token has no public key object with CKA_EC_POINT")
	}
	var inner []byte
	if rest, err := asn1.Unmarshal(v, &inner); err == nil && len(rest) == 0 {
		return inner, nil
	}
	return v, nil
}

func isPrintable(der []byte, want string) bool {
	var s string
	rest, err := asn1.Unmarshal(der, &s)
	return err == nil && len(rest) == 0 && s == want
}

// hmacKeyID derives the ID of an HMAC key in the token the way the hmac
// backend does: the first 8 bytes of HMAC-SHA256(key, label), in hex. A key
// imported from the hmac backend keeps its ID.
func (k *Key) hmacKeyID() (string, error) {
	tag, err := k.signRaw(context.Background(), k.signMech, []byte("tinywindow/hmac/key-id/v1"))
	if err != nil {
		return "", err
	}
	if len(tag) < 8 {
		return "", fmt.Errorf("%w: pkcs11: HMAC tag of %d bytes", provider.ErrUnavailable, len(tag))
	}
	return "hmac-" + hex.EncodeToString(tag[:8]), nil
}

// String describes the key without secrets.
func (k *Key) String() string {
	return strings.Join([]string{Scheme, string(k.info.Algorithm), k.info.ID}, " ")
}

// tokenDesc describes the token selector for messages.
func (c *Config) tokenDesc() string {
	switch {
	case c.TokenLabel != "":
		return fmt.Sprintf("token %q", c.TokenLabel)
	case c.Serial != "":
		return fmt.Sprintf("token with serial %q", c.Serial)
	default:
		return fmt.Sprintf("slot %d", c.SlotID)
	}
}

// keyDesc describes the key selector for messages.
func (c *Config) keyDesc() string {
	switch {
	case c.Object != "" && c.ID != nil:
		return fmt.Sprintf("object %q id %x", c.Object, c.ID)
	case c.Object != "":
		return fmt.Sprintf("object %q", c.Object)
	default:
		return fmt.Sprintf("id %x", c.ID)
	}
}
