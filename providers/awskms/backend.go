package awskms

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/tinywindow/tinywindow/internal/cloudkey"
	"github.com/tinywindow/tinywindow/provider"
)

// Scheme is the key URI scheme of this backend.
const Scheme = "awskms"

func init() {
	provider.Register(provider.Backend{
		Scheme:      Scheme,
		Description: "AWS KMS keys (ECDSA P-256/P-384, RSA-PSS, HMAC_256, ML-DSA) through aws-sdk-go-v2",
		Algorithms:  Algorithms(),
		Open:        OpenURI,
		Generate:    generate,
	})
}

// Open opens the KMS key named by an awskms URI:
//
//	awskms:key-id=ID|ARN|alias/NAME[;region=R][;profile=P][?endpoint=URL]
//	    [&verify=local|remote][&max-attempts=N][&max-backoff=D][&pubkey-ttl=D][&external-mu=true|false]
//
// It gets credentials from the SDK's default chain within
// CredentialTimeout (none found is ErrInvalidConfig saying what to set),
// then calls DescribeKey once to learn the key's algorithm and, for an
// asymmetric key, GetPublicKey to cache its public key. The result is a
// [*SignatureKey] or a [*MACKey].
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
		return nil, &provider.OpError{Backend: Scheme, Op: "open", Key: o.keyID, Kind: provider.ErrUnavailable, Err: err}
	}
	client, err := newClient(ctx, o)
	if err != nil {
		return nil, err
	}
	return openKey(ctx, client, o)
}

func openKey(ctx context.Context, client *kms.Client, o *options) (provider.Key, error) {
	out, err := client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(o.keyID)})
	if err != nil {
		return nil, opError("DescribeKey", o.keyID, err)
	}
	md := out.KeyMetadata
	if md == nil || md.Arn == nil {
		return nil, provider.OpErrorf(Scheme, "DescribeKey", o.keyID, provider.ErrUnavailable, "the answer holds no key metadata")
	}
	spec, err := specFor(o.keyID, md)
	if err != nil {
		return nil, err
	}
	if md.KeyState != types.KeyStateEnabled {
		return nil, &provider.OpError{Backend: Scheme, Op: "DescribeKey", Key: o.keyID, Kind: provider.ErrUnavailable, Err: fmt.Errorf("the key is %s, not Enabled", md.KeyState), Remedy: "enable it (aws kms enable-key) or name another key"}
	}
	info := provider.KeyInfo{Algorithm: spec.alg, Backend: Scheme, Version: *md.Arn}
	if spec.usage == types.KeyUsageTypeGenerateVerifyMac {
		info.ID = provider.KeyIDFromPublic([]byte(*md.Arn))
		k := &MACKey{base: base{client: client, opts: o, spec: spec, arn: *md.Arn}}
		k.MACKey = cloudkey.NewMACKey(cloudkey.NewHandle(Scheme, o.keyID, info, nil), (*macCalls)(&k.base), "GenerateMac", "VerifyMac")
		return k, nil
	}
	pub, err := fetchPublicKey(ctx, client, o.keyID, spec)
	if err != nil {
		return nil, err
	}
	info.ID = provider.KeyIDFromPublic(pub.der)
	k := &SignatureKey{Handle: cloudkey.NewHandle(Scheme, o.keyID, info, nil), base: base{client: client, opts: o, spec: spec, arn: *md.Arn}}
	k.pub.Init(pub, o.PubKeyTTL)
	return k, nil
}
