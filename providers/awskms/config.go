package awskms

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/tinywindow/tinywindow/internal/cloudkey"
	"github.com/tinywindow/tinywindow/internal/printable"
	"github.com/tinywindow/tinywindow/provider"
)

// The URI attributes this backend accepts.
var uriAttrs = []string{
	"key-id", "region", "profile", "endpoint", "verify",
	"max-attempts", "max-backoff", "pubkey-ttl", "external-mu",
}

// Defaults of the optional URI attributes.
const (
	DefaultMaxAttempts = cloudkey.DefaultMaxAttempts
	DefaultMaxBackoff  = cloudkey.DefaultMaxBackoff
	DefaultPubKeyTTL   = cloudkey.DefaultPubKeyTTL
)

// options is a parsed awskms key URI.
type options struct {
	keyID          string
	region         string // empty: the SDK's default chain (AWS_REGION, profile)
	profile        string
	endpoint       string
	cloudkey.Calls // verify=, max-attempts=, max-backoff=, pubkey-ttl=
	externalMu     bool
}

// regionPattern matches the region names of every AWS partition (the
// partitions' own patterns, restricted to lowercase).
var regionPattern = regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx|cn|eusc-de|us-gov|us-iso|us-isob|us-isof|eu-isoe)-[a-z]+-[0-9]+$`)

// keyIDPattern matches what KMS accepts as a KeyId: a key ID, a key ARN, an
// alias name or an alias ARN (1 to 2048 characters, no white space).
var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9:/_+=,.@-]+$`)

func parseOptions(u *provider.URI) (*options, error) {
	if err := u.Check(Scheme, uriAttrs...); err != nil {
		return nil, err
	}
	o := &options{
		externalMu: true,
	}
	var ok bool
	if o.keyID, ok = u.Get("key-id"); !ok || o.keyID == "" {
		return nil, fmt.Errorf("%w: awskms URI names no key; write key-id=ID, key-id=arn:aws:kms:REGION:ACCOUNT:key/ID or key-id=alias/NAME, as in awskms:key-id=alias/orders;region=eu-west-2",
			provider.ErrInvalidConfig)
	}
	if len(o.keyID) > 2048 || !keyIDPattern.MatchString(o.keyID) {
		return nil, fmt.Errorf("%w: awskms key-id %q is not a KMS key ID, key ARN or alias (letters, digits and :/_+=,.@- only, at most 2048 characters)",
			provider.ErrInvalidConfig, o.keyID)
	}
	if o.region, ok = u.Get("region"); ok && !regionPattern.MatchString(o.region) {
		return nil, fmt.Errorf("%w: awskms region %q is not an AWS region name; write one such as eu-west-2, us-east-1 or us-gov-west-1",
			provider.ErrInvalidConfig, o.region)
	}
	if arnRegion, isARN := regionOfARN(o.keyID); isARN {
		if !regionPattern.MatchString(arnRegion) {
			return nil, fmt.Errorf("%w: awskms key-id ARN %q holds region %q, which is not an AWS region name", provider.ErrInvalidConfig, o.keyID, arnRegion)
		}
		if o.region == "" {
			o.region = arnRegion
		} else if o.region != arnRegion {
			return nil, fmt.Errorf("%w: awskms key-id ARN is in region %s but region=%s; drop region= or make them agree", provider.ErrInvalidConfig, arnRegion, o.region)
		}
	}
	if o.profile, ok = u.Get("profile"); ok && o.profile == "" {
		return nil, fmt.Errorf("%w: awskms profile= is empty; name a profile of the shared AWS config, or leave the attribute out", provider.ErrInvalidConfig)
	}
	if o.endpoint, ok = u.Get("endpoint"); ok {
		if err := checkEndpoint(o.endpoint); err != nil {
			return nil, err
		}
	}
	var err error
	if o.Calls, err = cloudkey.ParseCalls(u, "KMS checks"); err != nil {
		return nil, err
	}
	if v, ok := u.Get("external-mu"); ok {
		switch v {
		case "true":
		case "false":
			o.externalMu = false
		default:
			return nil, fmt.Errorf("%w: awskms external-mu=%q; write true (the default) or false", provider.ErrInvalidConfig, v)
		}
	}
	return o, nil
}

// regionOfARN returns the region field of a KMS key or alias ARN.
func regionOfARN(keyID string) (string, bool) {
	rest, ok := strings.CutPrefix(keyID, "arn:")
	if !ok {
		return "", false
	}
	// partition:kms:region:account:key/ID
	parts := strings.SplitN(rest, ":", 5)
	if len(parts) != 5 {
		return "", false
	}
	return parts[2], true
}

func checkEndpoint(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%w: awskms endpoint %q: %w", provider.ErrInvalidConfig, s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%w: awskms endpoint %q is not an http(s) URL with a host and no user, query or fragment; write one such as https://kms-fips.us-east-1.amazonaws.com or http://127.0.0.1:4599",
			provider.ErrInvalidConfig, s)
	}
	return nil
}

// newClient builds a KMS client with the SDK's default configuration chain
// (which also honours AWS_CA_BUNDLE through the SDK's own HTTP client) and the
// URI's region, profile, endpoint and retry bounds.
func newClient(ctx context.Context, o *options) (*kms.Client, error) {
	loads := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = o.MaxAttempts
				so.MaxBackoff = o.MaxBackoff
			})
		}),
	}
	if o.region != "" {
		loads = append(loads, config.WithRegion(o.region))
	}
	if o.profile != "" {
		loads = append(loads, config.WithSharedConfigProfile(o.profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		return nil, fmt.Errorf("%w: awskms: loading the AWS configuration (profile %q): %w", provider.ErrInvalidConfig, o.profile, printable.Error(err))
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("%w: awskms: no region: add region=REGION to the key URI, or set AWS_REGION, or give the profile a region", provider.ErrInvalidConfig)
	}
	if !regionPattern.MatchString(cfg.Region) {
		return nil, fmt.Errorf("%w: awskms: region %q from the environment or profile is not an AWS region name; set region= in the key URI", provider.ErrInvalidConfig, cfg.Region)
	}
	if err := loadCredentials(ctx, cfg, o.keyID); err != nil {
		return nil, err
	}
	return kms.NewFromConfig(cfg, func(ko *kms.Options) {
		if o.endpoint != "" {
			ko.BaseEndpoint = aws.String(o.endpoint)
		}
	}), nil
}
