package vaulttransit

import (
	"context"
	"fmt"
	"strconv"

	"github.com/hashicorp/vault/api"

	"github.com/tinywindow/tinywindow/internal/cloudkey"
	"github.com/tinywindow/tinywindow/provider"
)

// Scheme is the key URI scheme of this backend.
const Scheme = "vault"

func init() {
	provider.Register(provider.Backend{
		Scheme:      Scheme,
		Description: "HashiCorp Vault Transit keys (ECDSA, Ed25519, RSA-PSS/PKCS1, HMAC) through github.com/hashicorp/vault/api",
		Algorithms:  Algorithms(),
		Open:        OpenURI,
		Generate:    generate,
	})
}

// Open opens the Transit key named by a vault URI:
//
//	vault:[addr=URL;][mount=PATH;][namespace=NS;]key=NAME[;version=N]
//	    [?token=env:NAME|file:PATH][&verify=local|remote][&signature-algorithm=pss|pkcs1v15]
//	    [&max-attempts=N][&max-backoff=D][&pubkey-ttl=D]
//
// addr defaults to VAULT_ADDR, mount to transit, token to env:VAULT_TOKEN,
// version to the key's latest version. It reads the key once to learn its
// type and, for an asymmetric key, caches the version's public key. The
// result is a [*SignatureKey] or a [*MACKey].
func Open(ctx context.Context, uri string) (provider.Key, error) {
	u, err := provider.ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return OpenURI(ctx, u)
}

// OpenURI is [Open] for a parsed [provider.URI].
func OpenURI(ctx context.Context, u *provider.URI) (provider.Key, error) {
	o, err := parseOptions(u)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, &provider.OpError{Backend: Scheme, Op: "open", Key: o.key, Kind: provider.ErrUnavailable, Err: err}
	}
	c, err := newClient(o)
	if err != nil {
		return nil, err
	}
	return openKey(ctx, c, o)
}

func openKey(ctx context.Context, c *api.Client, o *options) (provider.Key, error) {
	d, err := readKey(ctx, c, o)
	if err != nil {
		return nil, err
	}
	kt, err := typeFor(o.key, d.typ, o.pkcs1)
	if err != nil {
		return nil, err
	}
	if o.pkcs1 && kt.alg != provider.RSAPKCS1SHA256 {
		return nil, fmt.Errorf("%w: vault signature-algorithm=pkcs1v15 is for RSA keys; key %s is of type %s", provider.ErrInvalidConfig, o.key, d.typ)
	}
	v := o.version
	if v == 0 {
		v = d.latest
	}
	if _, ok := d.versions[strconv.Itoa(v)]; !ok {
		return nil, fmt.Errorf("%w: vault key %s has no version %d (latest is %d, and versions below min_decryption_version are not served)", provider.ErrKeyNotFound, o.key, v, d.latest)
	}
	info := provider.KeyInfo{Algorithm: kt.alg, Backend: Scheme, Version: strconv.Itoa(v)}
	if kt.alg == provider.HMACSHA256 {
		info.ID = provider.KeyIDFromPublic([]byte(o.addr + "\x00" + o.namespace + "\x00" + o.mount + "\x00" + o.key + "\x00" + info.Version))
		k := &MACKey{base: base{client: c, opts: o, kt: kt, version: v}}
		k.MACKey = cloudkey.NewMACKey(cloudkey.NewHandle(Scheme, o.key, info, forgetToken(c)), (*macCalls)(&k.base), "hmac", "verify")
		return k, nil
	}
	pub, err := publicKeyOf(d, o, kt, v)
	if err != nil {
		return nil, err
	}
	info.ID = provider.KeyIDFromPublic(pub.der)
	k := &SignatureKey{Handle: cloudkey.NewHandle(Scheme, o.key, info, forgetToken(c)), base: base{client: c, opts: o, kt: kt, version: v}, der: pub.der}
	k.pub.Init(pub, o.PubKeyTTL)
	return k, nil
}
