package awskms

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/tinywindow/tinywindow/provider"
)

// generate creates a KMS key for req.Algorithm (ECDSA-P256-SHA256 when
// empty) and points the alias named by key-id=alias/NAME at it. It backs
//
//	tinywindow keygen --signer 'awskms:key-id=alias/orders;region=eu-west-2' --alg ECDSA-P256-SHA256
//
// An alias that already exists is an error, never moved. RSA-PSS-SHA256
// creates an RSA_3072 key. Key material cannot be imported this way.
func generate(ctx context.Context, u *provider.URI, req provider.GenerateRequest) (provider.KeyInfo, error) {
	o, err := parseOptions(u)
	if err != nil {
		return provider.KeyInfo{}, err
	}
	if !strings.HasPrefix(o.keyID, "alias/") || len(o.keyID) == len("alias/") || strings.HasPrefix(o.keyID, "alias/aws/") {
		return provider.KeyInfo{}, fmt.Errorf("%w: awskms keygen names the new key by its alias: write key-id=alias/NAME (not %q; alias/aws/ is reserved for AWS)", provider.ErrInvalidConfig, o.keyID)
	}
	if req.Import != "" {
		return provider.KeyInfo{}, fmt.Errorf("%w: awskms keygen cannot import key material; use KMS ImportKeyMaterial on a key of origin EXTERNAL", provider.ErrUnsupported)
	}
	spec, err := specForAlgorithm(req.Algorithm)
	if err != nil {
		return provider.KeyInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return provider.KeyInfo{}, fmt.Errorf("%w: awskms keygen: %w", provider.ErrUnavailable, err)
	}
	client, err := newClient(ctx, o)
	if err != nil {
		return provider.KeyInfo{}, err
	}
	// Refuse to move an alias that already names a key.
	if existing, err := client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(o.keyID)}); err == nil {
		var target string
		if existing.KeyMetadata != nil {
			target = aws.ToString(existing.KeyMetadata.KeyId)
		}
		return provider.KeyInfo{}, fmt.Errorf("%w: awskms keygen: %s already names key %s; choose another alias, or delete that alias first",
			provider.ErrInvalidConfig, o.keyID, target)
	} else if err := opError("DescribeKey", o.keyID, err); !errors.Is(err, provider.ErrKeyNotFound) {
		return provider.KeyInfo{}, err
	}
	created, err := client.CreateKey(ctx, &kms.CreateKeyInput{
		KeySpec:     spec.spec,
		KeyUsage:    spec.usage,
		Description: aws.String("TinyWindow " + string(spec.alg) + " key, " + o.keyID),
		Tags:        []types.Tag{{TagKey: aws.String("tinywindow:algorithm"), TagValue: aws.String(string(spec.alg))}},
	})
	if err != nil {
		return provider.KeyInfo{}, opError("CreateKey", o.keyID, err)
	}
	keyID := aws.ToString(created.KeyMetadata.KeyId)
	if _, err := client.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(o.keyID), TargetKeyId: aws.String(keyID)}); err != nil {
		// Do not leave a key no alias names: schedule its deletion.
		_, _ = client.ScheduleKeyDeletion(context.WithoutCancel(ctx), &kms.ScheduleKeyDeletionInput{KeyId: aws.String(keyID), PendingWindowInDays: aws.Int32(7)})
		return provider.KeyInfo{}, opError("CreateAlias", o.keyID, err)
	}
	k, err := openKey(ctx, client, o)
	if err != nil {
		return provider.KeyInfo{}, fmt.Errorf("awskms keygen: created key %s as %s, but opening it failed: %w", keyID, o.keyID, err)
	}
	defer k.Close()
	return k.Info(), nil
}
