package azurekv

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azkeys"
	"github.com/tinywindow/tinywindow/provider"
)

// Scheme is the key URI scheme of this backend.
const Scheme = "azurekv"

func init() {
	provider.Register(provider.Backend{
		Scheme:      Scheme,
		Description: "Azure Key Vault and Managed HSM keys (EC P-256/P-384, RSA) through azkeys",
		Algorithms:  Algorithms(),
		Open:        OpenURI,
	})
}

// Options hold what a key URI cannot carry: the credential and the azkeys
// client's settings. The zero Options (or nil) use DefaultAzureCredential and
// the SDK's defaults.
type Options struct {
	// Credential authenticates to the vault. Nil means
	// azidentity.NewDefaultAzureCredential: environment variables, workload
	// identity, managed identity, then the Azure CLI's login.
	Credential azcore.TokenCredential

	// Client configures the azkeys client: transport, retries, logging.
	// Nil means the SDK's defaults. A Retry.ShouldRetry left nil is set to
	// this package's policy, which retries what azcore would (transport
	// errors and Retry.StatusCodes, by default 408, 429, 500, 502, 503 and
	// 504) but gives up at once when a Retry-After would end after the
	// caller's deadline.
	Client *azkeys.ClientOptions
}

// Open parses an azurekv key URI (see [ParseURI]) and opens its key with the
// default [Options]. The key is a [*Key]. [OpenWithOptions] takes Options.
func Open(ctx context.Context, uri string) (provider.Key, error) {
	u, err := provider.ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return OpenURI(ctx, u)
}

// OpenURI is [Open] for a parsed [provider.URI].
func OpenURI(ctx context.Context, u *provider.URI) (provider.Key, error) {
	cfg, err := configFromURI(u)
	if err != nil {
		return nil, err
	}
	k, err := New(ctx, cfg, nil)
	if err != nil {
		return nil, err
	}
	return k, nil
}

// OpenWithOptions parses an azurekv key URI (see [ParseURI]) and opens its key
// with opts. [Open] does the same with nil Options.
func OpenWithOptions(ctx context.Context, uri string, opts *Options) (*Key, error) {
	cfg, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return New(ctx, cfg, opts)
}

// New opens the key cfg names: it validates cfg, builds an azkeys client and
// fetches the key once with GetKey, which resolves its version, its type and
// its public key. The key must be an EC key on P-256 or P-384 or an RSA key
// of at least 2048 bits.
func New(ctx context.Context, cfg Config, opts *Options) (*Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, &provider.OpError{Backend: Scheme, Op: "open", Key: cfg.Vault + "/keys/" + cfg.Name, Kind: provider.ErrUnavailable, Err: err}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &Options{}
	}
	cred := opts.Credential
	if cred == nil {
		dc, err := azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return nil, fmt.Errorf("%w: azurekv: %s: %w", provider.ErrInvalidConfig, noCredentialRemedy, err)
		}
		cred = dc
	}
	var co azkeys.ClientOptions
	if opts.Client != nil {
		co = *opts.Client
	}
	if co.Retry.ShouldRetry == nil {
		co.Retry.ShouldRetry = retryPolicy(co.Retry.StatusCodes)
	}
	client, err := azkeys.NewClient(cfg.Vault, classifiedCredential{cred}, &co)
	if err != nil {
		return nil, fmt.Errorf("%w: azurekv: azkeys client for %s: %w", provider.ErrInvalidConfig, cfg.Vault, err)
	}
	k := &Key{client: client, cfg: cfg}
	st, err := k.fetch(ctx)
	if err != nil {
		return nil, err
	}
	k.st.Store(st)
	return k, nil
}
