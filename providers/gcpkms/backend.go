package gcpkms

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	kms "cloud.google.com/go/kms/apiv1"
	"cloud.google.com/go/kms/apiv1/kmspb"
	"google.golang.org/api/iterator"

	"github.com/tinywindow/tinywindow/internal/cloudkey"
	"github.com/tinywindow/tinywindow/provider"
)

// Scheme is the key URI scheme of this backend.
const Scheme = "gcpkms"

func init() {
	provider.Register(provider.Backend{
		Scheme:      Scheme,
		Description: "Google Cloud KMS keys (ECDSA, Ed25519, RSA-PSS/PKCS1, HMAC_SHA256, ML-DSA) through cloud.google.com/go/kms",
		Algorithms:  Algorithms(),
		Open:        OpenURI,
		Generate:    generate,
	})
}

// Open opens the Cloud KMS key version named by a gcpkms URI:
//
//	gcpkms:key=projects/P/locations/L/keyRings/R/cryptoKeys/K[;version=N]
//	    [?endpoint=HOST:PORT][&verify=local|remote][&max-attempts=N][&max-backoff=D][&pubkey-ttl=D]
//
// Over TLS it first finds the Application Default Credentials and gets a
// token within CredentialTimeout (none found is ErrInvalidConfig saying what
// to set). Without version= it lists the key's enabled versions and takes
// the highest. It reads the version's algorithm and, for an asymmetric key,
// caches its public key. The result is a [*SignatureKey] or a [*MACKey].
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
	client, err := newClient(ctx, o)
	if err != nil {
		return nil, err
	}
	k, err := openKey(ctx, client, o)
	if err != nil {
		client.Close()
		return nil, err
	}
	return k, nil
}

func openKey(ctx context.Context, client *kms.KeyManagementClient, o *options) (provider.Key, error) {
	v, err := resolveVersion(ctx, client, o)
	if err != nil {
		return nil, err
	}
	name := v.GetName()
	if v.GetState() != kmspb.CryptoKeyVersion_ENABLED {
		return nil, &provider.OpError{Backend: Scheme, Op: "GetCryptoKeyVersion", Key: name, Kind: provider.ErrUnavailable, Err: fmt.Errorf("the key version is %s, not ENABLED", v.GetState()), Remedy: "enable it (gcloud kms keys versions enable) or name another version"}
	}
	spec, err := specFor(name, v.GetAlgorithm())
	if err != nil {
		return nil, err
	}
	info := provider.KeyInfo{Algorithm: spec.alg, Backend: Scheme, Version: name}
	if spec.purpose == mac {
		info.ID = provider.KeyIDFromPublic([]byte(name))
		k := &MACKey{base: base{client: client, opts: o, spec: spec, version: name}}
		k.MACKey = cloudkey.NewMACKey(cloudkey.NewHandle(Scheme, name, info, client.Close), (*macCalls)(&k.base), "MacSign", "MacVerify")
		return k, nil
	}
	if o.RemoteVerify {
		return nil, fmt.Errorf("%w: gcpkms verify=remote: Cloud KMS has no method that verifies %s signatures (only MacVerify, for MAC keys); drop verify=remote to verify with the public key", provider.ErrUnsupported, spec.kms)
	}
	pub, err := fetchPublicKey(ctx, client, o, name, spec)
	if err != nil {
		return nil, err
	}
	info.ID = provider.KeyIDFromPublic(pub.der)
	k := &SignatureKey{Handle: cloudkey.NewHandle(Scheme, name, info, client.Close), base: base{client: client, opts: o, spec: spec, version: name}}
	k.pub.Init(pub, o.PubKeyTTL)
	return k, nil
}

// resolveVersion returns the version named by version=, or the key's
// highest enabled version.
func resolveVersion(ctx context.Context, client *kms.KeyManagementClient, o *options) (*kmspb.CryptoKeyVersion, error) {
	if o.version > 0 {
		name := o.versionName(o.version)
		var v *kmspb.CryptoKeyVersion
		err := o.retry(ctx, func(ctx context.Context) (err error) {
			v, err = client.GetCryptoKeyVersion(ctx, &kmspb.GetCryptoKeyVersionRequest{Name: name}, noGAXRetry)
			return err
		})
		if err != nil {
			return nil, opError("GetCryptoKeyVersion", name, err)
		}
		if v.GetName() != name {
			return nil, provider.OpErrorf(Scheme, "GetCryptoKeyVersion", name, provider.ErrUnavailable, "the answer is for %q", v.GetName())
		}
		return v, nil
	}
	var best *kmspb.CryptoKeyVersion
	bestN := 0
	err := o.retry(ctx, func(ctx context.Context) error {
		best, bestN = nil, 0
		it := client.ListCryptoKeyVersions(ctx, &kmspb.ListCryptoKeyVersionsRequest{Parent: o.key, Filter: "state=ENABLED"}, noGAXRetry)
		for {
			v, err := it.Next()
			if errors.Is(err, iterator.Done) {
				return nil
			}
			if err != nil {
				return err
			}
			n, ok := versionNumber(o.key, v.GetName())
			if ok && v.GetState() == kmspb.CryptoKeyVersion_ENABLED && n > bestN {
				best, bestN = v, n
			}
		}
	})
	if err != nil {
		return nil, opError("ListCryptoKeyVersions", o.key, err)
	}
	if best == nil {
		return nil, fmt.Errorf("%w: gcpkms key %s has no enabled version; enable one or create one (gcloud kms keys versions create)", provider.ErrKeyNotFound, o.key)
	}
	return best, nil
}

// versionNumber returns N of key/cryptoKeyVersions/N.
func versionNumber(key, name string) (int, bool) {
	s, ok := strings.CutPrefix(name, key+"/cryptoKeyVersions/")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}
