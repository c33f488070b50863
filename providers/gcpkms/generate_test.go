package gcpkms_test

import (
	"errors"
	"testing"

	"cloud.google.com/go/kms/apiv1/kmspb"

	"github.com/tinywindow/tinywindow/provider"
)

func TestGenerate(t *testing.T) {
	d, stop := startDouble()
	defer stop()
	d.addKey("seed", kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256) // creates the key ring
	ctx := t.Context()
	for _, alg := range []provider.Algorithm{"", provider.ECDSAP384SHA384, provider.Ed25519, provider.RSAPSSSHA256, provider.RSAPKCS1SHA256, provider.HMACSHA256, provider.MLDSA65} {
		name := "gen-" + map[provider.Algorithm]string{"": "default"}[alg] + string(alg)
		key := testRing + "/cryptoKeys/" + sanitize(name)
		info, err := provider.Generate(ctx, d.uri(key), provider.GenerateRequest{Algorithm: alg})
		if err != nil {
			t.Fatalf("Generate %q: %v", alg, err)
		}
		want := alg
		if want == "" {
			want = provider.ECDSAP256SHA256
		}
		if info.Algorithm != want || info.Version != key+"/cryptoKeyVersions/1" || info.Backend != "gcpkms" {
			t.Errorf("Generate %q: %+v", alg, info)
		}
		k, err := provider.Open(ctx, d.uri(key))
		if err != nil {
			t.Fatal(err)
		}
		if k.Info() != info {
			t.Errorf("opened %+v, generated %+v", k.Info(), info)
		}
		sig, err := k.Sign(ctx, []byte("m"))
		if err == nil {
			err = k.Verify(ctx, []byte("m"), sig)
		}
		if err != nil {
			t.Errorf("%s round trip: %v", alg, err)
		}
		k.Close()
		_, err = provider.Generate(ctx, d.uri(key), provider.GenerateRequest{Algorithm: alg})
		if !errors.Is(err, provider.ErrInvalidConfig) {
			t.Errorf("Generate over an existing key: %v, want ErrInvalidConfig", err)
		}
	}
	for _, tc := range []struct {
		uri  string
		req  provider.GenerateRequest
		want error
	}{
		{d.uri("projects/tw-test/locations/europe-west2/keyRings/missing/cryptoKeys/k"), provider.GenerateRequest{}, provider.ErrKeyNotFound},
		{d.uri(testRing + "/cryptoKeys/x;version=1"), provider.GenerateRequest{}, provider.ErrInvalidConfig},
		{d.uri(testRing + "/cryptoKeys/x"), provider.GenerateRequest{Import: "env:KEY"}, provider.ErrUnsupported},
		{d.uri(testRing + "/cryptoKeys/x"), provider.GenerateRequest{Algorithm: provider.SLHDSASHA2128s}, provider.ErrUnsupported},
	} {
		if _, err := provider.Generate(ctx, tc.uri, tc.req); !errors.Is(err, tc.want) {
			t.Errorf("Generate(%q, %+v) = %v, want %v", tc.uri, tc.req, err, tc.want)
		}
	}
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}
