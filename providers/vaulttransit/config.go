package vaulttransit

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/tinywindow/tinywindow/internal/cloudkey"
	"github.com/tinywindow/tinywindow/provider"
)

// The URI attributes this backend accepts.
var uriAttrs = []string{
	"addr", "mount", "key", "version", "namespace", "token", "verify",
	"signature-algorithm", "max-attempts", "max-backoff", "pubkey-ttl",
}

// Defaults of the optional URI attributes.
const (
	DefaultMount       = "transit"
	DefaultTokenSource = "env:VAULT_TOKEN"
	DefaultMaxAttempts = cloudkey.DefaultMaxAttempts
	DefaultMaxBackoff  = cloudkey.DefaultMaxBackoff
	DefaultPubKeyTTL   = cloudkey.DefaultPubKeyTTL
)

// options is a parsed vault key URI.
type options struct {
	addr           string
	mount          string
	key            string
	version        int // 0: the latest version when opened
	namespace      string
	tokenSource    string
	cloudkey.Calls // verify=, max-attempts=, max-backoff=, pubkey-ttl=
	pkcs1          bool
}

var (
	// keyPattern is Vault's name pattern for Transit keys.
	keyPattern       = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_.@-]{0,126}[A-Za-z0-9_])?$`)
	mountPattern     = regexp.MustCompile(`^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$`)
	namespacePattern = regexp.MustCompile(`^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*/?$`)
)

func parseOptions(u *provider.URI) (*options, error) {
	if err := u.Check(Scheme, uriAttrs...); err != nil {
		return nil, err
	}
	o := &options{mount: DefaultMount, tokenSource: DefaultTokenSource}
	var ok bool
	if o.key, ok = u.Get("key"); !ok || !keyPattern.MatchString(o.key) {
		return nil, fmt.Errorf("%w: vault URI names no Transit key, or %q is not a key name (letters, digits, '_', '-', '.', '@'); write key=NAME, as in vault:addr=https://vault:8200;mount=transit;key=orders",
			provider.ErrInvalidConfig, o.key)
	}
	if o.addr, ok = u.Get("addr"); !ok {
		o.addr = os.Getenv("VAULT_ADDR")
	}
	if err := checkAddr(o.addr); err != nil {
		return nil, err
	}
	if v, ok := u.Get("mount"); ok {
		if !mountPattern.MatchString(v) {
			return nil, fmt.Errorf("%w: vault mount=%q is not a mount path such as transit or team/transit", provider.ErrInvalidConfig, v)
		}
		o.mount = v
	}
	if v, ok := u.Get("namespace"); ok {
		if !namespacePattern.MatchString(v) {
			return nil, fmt.Errorf("%w: vault namespace=%q is not a namespace path such as trading/ or org/trading", provider.ErrInvalidConfig, v)
		}
		o.namespace = v
	}
	if v, ok := u.Get("token"); ok {
		o.tokenSource = v
	}
	if v, ok := u.Get("version"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || strconv.Itoa(n) != v {
			return nil, fmt.Errorf("%w: vault version=%q; write a key version number such as version=2, or leave it out for the latest", provider.ErrInvalidConfig, v)
		}
		o.version = n
	}
	var err error
	if o.Calls, err = cloudkey.ParseCalls(u, "Vault's verify endpoint"); err != nil {
		return nil, err
	}
	if v, ok := u.Get("signature-algorithm"); ok {
		switch v {
		case "pss":
		case "pkcs1v15":
			o.pkcs1 = true
		default:
			return nil, fmt.Errorf("%w: vault signature-algorithm=%q; write pss (the default) or pkcs1v15, for RSA keys", provider.ErrInvalidConfig, v)
		}
	}
	return o, nil
}

// checkAddr accepts an https URL, or an http URL on a loopback address
// (vault server -dev, test servers): the token must not travel in clear.
func checkAddr(s string) error {
	u, err := url.Parse(s)
	if s == "" || err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%w: vault addr %q is not a URL such as https://vault.example.com:8200; write addr= or set VAULT_ADDR", provider.ErrInvalidConfig, s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return fmt.Errorf("%w: vault addr %q: write an https URL; http is accepted on a loopback address only, since the token would travel in clear", provider.ErrInvalidConfig, s)
}

// newClient builds a Vault client: the library's default configuration
// (which reads VAULT_CACERT, VAULT_CLIENT_CERT and the other TLS settings of
// the environment), the URI's address and retry bounds, the token from its
// source, and the namespace.
func newClient(o *options) (*api.Client, error) {
	token, err := provider.ReadSecret(o.tokenSource)
	if err != nil {
		return nil, provider.OpErrorf(Scheme, "open", o.key, provider.ErrInvalidConfig, "%s: %w", noToken, err)
	}
	defer provider.Zero(token)
	tok := bytes.TrimSpace(token)
	if len(tok) == 0 {
		return nil, provider.OpErrorf(Scheme, "open", o.key, provider.ErrInvalidConfig, "%s: the token from %s is empty", noToken, o.tokenSource)
	}
	cfg := api.DefaultConfig()
	if cfg.Error != nil {
		return nil, fmt.Errorf("%w: vault: the client configuration from the environment: %w", provider.ErrInvalidConfig, cfg.Error)
	}
	cfg.Address = o.addr
	cfg.MaxRetries = o.MaxAttempts - 1
	cfg.MinRetryWait = min(firstBackoff, o.MaxBackoff)
	cfg.MaxRetryWait = o.MaxBackoff
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: vault: creating the client for %s: %w", provider.ErrInvalidConfig, o.addr, err)
	}
	c.SetToken(string(tok))
	if o.namespace != "" {
		c.SetNamespace(o.namespace)
	}
	return c, nil
}

// noToken says what to set when no Vault token can be read. The token comes
// from a local source only (the environment or a file), so getting it needs
// no timeout; a token Vault refuses is ErrPermissionDenied at the first call.
const noToken = "no Vault token: set VAULT_TOKEN, or name the token's source with token=env:NAME or token=file:PATH"

// firstBackoff is the wait before the second attempt of a call; the
// client library doubles it on each attempt, up to max-backoff.
const firstBackoff = 50 * time.Millisecond
