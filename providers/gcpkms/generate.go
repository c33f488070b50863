package gcpkms

import (
	"context"
	"fmt"
	"strings"
	"time"

	"cloud.google.com/go/kms/apiv1/kmspb"

	"github.com/tinywindow/tinywindow/provider"
)

// pendingPoll is how often generate asks whether a new key version has left
// PENDING_GENERATION.
const pendingPoll = 200 * time.Millisecond

// generate creates the CryptoKey named by key= in its existing key ring,
// for req.Algorithm (ECDSA-P256-SHA256 when empty), and waits for its first
// version. It backs
//
//	tinywindow keygen --signer 'gcpkms:key=projects/P/locations/L/keyRings/R/cryptoKeys/K' --alg ECDSA-P256-SHA256
//
// A key that already exists is an error, and a missing key ring is not
// created (key rings can never be deleted). RSA algorithms create 3072-bit
// keys. Key material cannot be imported this way.
func generate(ctx context.Context, u *provider.URI, req provider.GenerateRequest) (provider.KeyInfo, error) {
	o, err := parseOptions(u)
	if err != nil {
		return provider.KeyInfo{}, err
	}
	if o.version != 0 {
		return provider.KeyInfo{}, fmt.Errorf("%w: gcpkms keygen creates a key with its first version; drop version=", provider.ErrInvalidConfig)
	}
	if req.Import != "" {
		return provider.KeyInfo{}, fmt.Errorf("%w: gcpkms keygen cannot import key material; use a Cloud KMS import job", provider.ErrUnsupported)
	}
	spec, err := specForAlgorithm(req.Algorithm)
	if err != nil {
		return provider.KeyInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return provider.KeyInfo{}, fmt.Errorf("%w: gcpkms keygen: %w", provider.ErrUnavailable, err)
	}
	client, err := newClient(ctx, o)
	if err != nil {
		return provider.KeyInfo{}, err
	}
	defer client.Close()
	ring, id, _ := strings.Cut(o.key, "/cryptoKeys/")
	created, err := client.CreateCryptoKey(ctx, &kmspb.CreateCryptoKeyRequest{
		Parent:      ring,
		CryptoKeyId: id,
		CryptoKey: &kmspb.CryptoKey{
			Purpose:         spec.purpose,
			VersionTemplate: &kmspb.CryptoKeyVersionTemplate{Algorithm: spec.kms},
			Labels:          map[string]string{"tinywindow-algorithm": strings.ToLower(string(spec.alg))},
		},
	}, noGAXRetry)
	if err != nil {
		return provider.KeyInfo{}, opError("CreateCryptoKey", o.key, err)
	}
	if created.GetName() != o.key {
		return provider.KeyInfo{}, provider.OpErrorf(Scheme, "CreateCryptoKey", o.key, provider.ErrUnavailable, "the answer is for %q", created.GetName())
	}
	o.version = 1
	name := o.versionName(1)
	for {
		v, err := client.GetCryptoKeyVersion(ctx, &kmspb.GetCryptoKeyVersionRequest{Name: name}, noGAXRetry)
		if err != nil {
			return provider.KeyInfo{}, opError("GetCryptoKeyVersion", name, err)
		}
		if v.GetState() != kmspb.CryptoKeyVersion_PENDING_GENERATION {
			break
		}
		select {
		case <-ctx.Done():
			return provider.KeyInfo{}, fmt.Errorf("%w: gcpkms keygen: created %s, but its first version was still being generated: %w", provider.ErrUnavailable, o.key, ctx.Err())
		case <-time.After(pendingPoll):
		}
	}
	k, err := openKey(ctx, client, o)
	if err != nil {
		return provider.KeyInfo{}, fmt.Errorf("gcpkms keygen: created %s, but opening it failed: %w", o.key, err)
	}
	return k.Info(), nil
}
