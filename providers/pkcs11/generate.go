//go:build cgo && !nopkcs11

package pkcs11

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/miekg/pkcs11"
	"github.com/tinywindow/tinywindow/provider"
)

// RSABits is the modulus size of the RSA keys that keygen creates.
const RSABits = 3072

// generate creates the key named by the URI in its token, or imports an HMAC
// key (req.Import, a secret source holding hex), and returns its description.
// It backs `tinywindow keygen --signer pkcs11:...;object=NAME --alg ALG`.
// The key is a token object, private, sensitive and not extractable; the
// label is object, and CKA_ID is id or, if the URI has none, 16 random bytes.
// A key with the same label or id already in the token is never replaced.
func generate(ctx context.Context, u *provider.URI, req provider.GenerateRequest) (provider.KeyInfo, error) {
	if err := ctx.Err(); err != nil {
		return provider.KeyInfo{}, fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	cfg, err := ParseConfig(u)
	if err != nil {
		return provider.KeyInfo{}, err
	}
	alg := req.Algorithm
	switch {
	case alg != "" && cfg.Algorithm != "" && alg != cfg.Algorithm:
		return provider.KeyInfo{}, fmt.Errorf("%w: pkcs11 keygen: --alg %s contradicts alg=%s in the URI", provider.ErrInvalidConfig, alg, cfg.Algorithm)
	case alg == "" && cfg.Algorithm != "":
		alg = cfg.Algorithm
	case alg == "" && req.Import != "":
		alg = provider.HMACSHA256
	case alg == "":
		alg = provider.ECDSAP256SHA256
	}
	if !supported(alg) {
		return provider.KeyInfo{}, fmt.Errorf("%w: pkcs11 keygen: %s is not offered; use one of %v", provider.ErrUnsupported, alg, algorithms)
	}
	if cfg.Type != "" && (cfg.Type == "secret-key") != alg.Symmetric() {
		return provider.KeyInfo{}, fmt.Errorf("%w: pkcs11 keygen: type=%s does not fit a new %s key", provider.ErrInvalidConfig, cfg.Type, alg)
	}
	if req.Import != "" && alg != provider.HMACSHA256 {
		return provider.KeyInfo{}, fmt.Errorf("%w: pkcs11 keygen: --import brings in HMAC-SHA256 keys only, not %s", provider.ErrUnsupported, alg)
	}
	if cfg.Object == "" {
		return provider.KeyInfo{}, fmt.Errorf("%w: pkcs11 keygen: the URI needs object=LABEL to name the new key", provider.ErrInvalidConfig)
	}
	if cfg.PINSource == "" {
		return provider.KeyInfo{}, fmt.Errorf("%w: pkcs11 keygen: the URI needs pin-source=env:NAME (or file:PATH): creating a private key needs a login", provider.ErrInvalidConfig)
	}
	var secret []byte
	if req.Import != "" {
		secret, err = provider.ReadHexSecret(req.Import, -32)
		if err != nil {
			return provider.KeyInfo{}, fmt.Errorf("pkcs11 keygen --import: %w", err)
		}
		defer provider.Zero(secret)
	}
	if cfg.ID == nil {
		cfg.ID = make([]byte, 16)
		if _, err := rand.Read(cfg.ID); err != nil {
			return provider.KeyInfo{}, fmt.Errorf("%w: crypto/rand: %w", provider.ErrUnavailable, err)
		}
	}
	pin, err := readPIN(cfg)
	if err != nil {
		return provider.KeyInfo{}, err
	}
	defer provider.Zero(pin)
	if err := create(cfg, pin, alg, secret); err != nil {
		return provider.KeyInfo{}, err
	}
	// Open it as a user would, so what keygen prints is what Open will see.
	cfg.Algorithm = alg
	k, err := openKey(cfg, append([]byte(nil), pin...))
	if err != nil {
		return provider.KeyInfo{}, fmt.Errorf("pkcs11 keygen: the new key does not open: %w", err)
	}
	defer k.Close()
	return k.Info(), nil
}

func create(cfg *Config, pin []byte, alg provider.Algorithm, secret []byte) error {
	mod, err := acquireModule(cfg.ModulePath)
	if err != nil {
		return err
	}
	defer mod.release()
	slot, _, err := mod.findSlot(cfg)
	if err != nil {
		return err
	}
	p11 := mod.ctx
	sh, err := p11.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		return opError("C_OpenSession", cfg.keyName(), err)
	}
	defer p11.CloseSession(sh)
	if err := mod.login(sh, slot, pin, cfg.keyName()); err != nil {
		return err
	}
	for _, probe := range [][]*pkcs11.Attribute{
		{pkcs11.NewAttribute(pkcs11.CKA_LABEL, cfg.Object)},
		{pkcs11.NewAttribute(pkcs11.CKA_ID, cfg.ID)},
	} {
		if err := p11.FindObjectsInit(sh, probe); err != nil {
			return opError("C_FindObjectsInit", cfg.keyName(), err)
		}
		objs, _, err := p11.FindObjects(sh, 1)
		p11.FindObjectsFinal(sh)
		if err != nil {
			return opError("C_FindObjects", cfg.keyName(), err)
		}
		if len(objs) > 0 {
			return fmt.Errorf("%w: pkcs11 keygen: %s already holds an object with label %q or id %x; choose another object= (keys are never replaced)", provider.ErrInvalidConfig, cfg.tokenDesc(), cfg.Object, cfg.ID)
		}
	}
	common := func(extra ...*pkcs11.Attribute) []*pkcs11.Attribute {
		return append([]*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, cfg.Object),
			pkcs11.NewAttribute(pkcs11.CKA_ID, cfg.ID),
		}, extra...)
	}
	private := common(
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
	)
	public := common(
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, false),
		pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
	)
	mech := func(m uint) []*pkcs11.Mechanism { return []*pkcs11.Mechanism{pkcs11.NewMechanism(m, nil)} }
	switch alg {
	case provider.HMACSHA256:
		tmpl := append(private,
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
			pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
		)
		if secret != nil {
			val := pkcs11.NewAttribute(pkcs11.CKA_VALUE, secret)
			_, err = p11.CreateObject(sh, append(tmpl, val))
			return wrapIf("C_CreateObject", cfg.keyName(), err)
		}
		_, err = p11.GenerateKey(sh, mech(pkcs11.CKM_GENERIC_SECRET_KEY_GEN), append(tmpl, pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, 32)))
		return wrapIf("C_GenerateKey", cfg.keyName(), err)
	case provider.ECDSAP256SHA256, provider.ECDSAP384SHA384:
		oid := oidP256
		if alg == provider.ECDSAP384SHA384 {
			oid = oidP384
		}
		_, _, err = p11.GenerateKeyPair(sh, mech(pkcs11.CKM_EC_KEY_PAIR_GEN),
			append(public, pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, oid)), private)
		return wrapIf("C_GenerateKeyPair", cfg.keyName(), err)
	case provider.Ed25519:
		_, _, err = p11.GenerateKeyPair(sh, mech(ckmECEdwardsKeyPairGen),
			append(public, pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, oidEd25519)), private)
		return wrapIf("C_GenerateKeyPair", cfg.keyName(), err)
	default: // RSA-PSS-SHA256, RSA-PKCS1-SHA256
		_, _, err = p11.GenerateKeyPair(sh, mech(pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN),
			append(public,
				pkcs11.NewAttribute(pkcs11.CKA_MODULUS_BITS, RSABits),
				pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1})), private)
		return wrapIf("C_GenerateKeyPair", cfg.keyName(), err)
	}
}

// wrapIf returns nil for a nil err, else the [opError] of fn on key.
func wrapIf(fn, key string, err error) error {
	if err == nil {
		return nil
	}
	return opError(fn, key, err)
}
