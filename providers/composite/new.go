package composite

import (
	"context"
	"errors"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// New returns the composite key of algorithm alg made of two open component
// keys: pq, an ML-DSA key of the combination's parameter set that signs with
// the combination's label as its FIPS 204 context string (see [Label]), and
// trad, a classical key of the combination's algorithm, curve and size. The
// composite key owns both handles and closes them on Close.
//
// New signs one probe message with pq and checks it against the draft's
// context, so that a component opened without the label is refused rather
// than producing signatures nobody else verifies.
func New(ctx context.Context, alg provider.Algorithm, pq, trad provider.Key) (*Key, error) {
	c, err := lookup(string(alg))
	if err != nil {
		return nil, err
	}
	if pq == nil || trad == nil {
		return nil, fmt.Errorf("%w: composite %s needs two component keys", provider.ErrInvalidConfig, c.name)
	}
	if got := pq.Info().Algorithm; got != c.mldsa {
		return nil, fmt.Errorf("%w: %s wants an %s key as its ML-DSA component; the pq key %s is %s", provider.ErrInvalidConfig, c.name, c.mldsa, pq.Info().ID, got)
	}
	if got := trad.Info().Algorithm; got != c.classical.alg {
		return nil, fmt.Errorf("%w: %s wants a %s key as its classical component; the trad key %s is %s", provider.ErrInvalidConfig, c.name, c.classical.alg, trad.Info().ID, got)
	}
	if pq.Info().ID == trad.Info().ID {
		return nil, fmt.Errorf("%w: %s: both components are key %s; give two different keys", provider.ErrInvalidConfig, c.name, pq.Info().ID)
	}
	pqPEM, ok := pq.(provider.PublicKeyPEMer)
	if !ok {
		return nil, fmt.Errorf("%w: %s: the ML-DSA component (%s backend) exports no public key", provider.ErrUnsupported, c.name, pq.Info().Backend)
	}
	data, err := pqPEM.PublicKeyPEM()
	if err != nil {
		return nil, fmt.Errorf("%s: ML-DSA component public key: %w", c.name, err)
	}
	mlAlg, mlRaw, err := pqc.ParsePublicKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: ML-DSA component public key: %w", c.name, err)
	}
	if mlAlg != c.mldsa {
		return nil, fmt.Errorf("%w: %s: the ML-DSA component's public key is %s, not %s", provider.ErrInvalidConfig, c.name, mlAlg, c.mldsa)
	}
	tradPub, ok := trad.(provider.PublicKeyer)
	if !ok {
		return nil, fmt.Errorf("%w: %s: the classical component (%s backend) exports no public key", provider.ErrUnsupported, c.name, trad.Info().Backend)
	}
	k, err := newKey(c, &PublicKey{Algorithm: c.name, MLDSA: mlRaw, Classical: tradPub.Public()})
	if err != nil {
		return nil, err
	}
	k.pq, k.trad = pq, trad
	if err := k.probe(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

// NewVerifier returns a verify-only composite key for a public key.
func NewVerifier(pub *PublicKey) (*Key, error) {
	if pub == nil {
		return nil, fmt.Errorf("%w: nil composite public key", provider.ErrInvalidConfig)
	}
	c, err := lookup(string(pub.Algorithm))
	if err != nil {
		return nil, err
	}
	return newKey(c, pub)
}

func newKey(c *combination, pub *PublicKey) (*Key, error) {
	spki, err := pub.MarshalPKIX()
	if err != nil {
		return nil, err
	}
	mlSPKI, err := c.mldsaSPKI(pub.MLDSA)
	if err != nil {
		return nil, err
	}
	pqLocal, err := pqc.NewVerifier(mlSPKI, pqc.Options{Algorithm: c.mldsa, Context: []byte(c.label)})
	if err != nil {
		return nil, err
	}
	return &Key{
		c:       c,
		pub:     pub,
		spki:    spki,
		pqLocal: pqLocal,
		info: provider.KeyInfo{
			ID:        provider.KeyIDFromPublic(spki),
			Algorithm: c.name,
			Backend:   Scheme,
		},
	}, nil
}

// probe signs a fixed message with the ML-DSA component and verifies it
// under the draft's context.
func (k *Key) probe(ctx context.Context) error {
	msg := []byte("tinywindow composite ML-DSA context probe")
	sig, err := k.pq.Sign(ctx, msg)
	if err != nil {
		return fmt.Errorf("%s: ML-DSA component: probe signature: %w", k.c.name, err)
	}
	if err := k.pqLocal.Verify(ctx, msg, sig); err != nil {
		if errors.Is(err, provider.ErrInvalidSignature) {
			return fmt.Errorf("%w: %s: the ML-DSA component does not sign with the context string %q that %s requires; open it with ctx=%s (the composite URI does this)",
				provider.ErrInvalidConfig, k.c.name, k.c.label, Draft, k.c.label)
		}
		return fmt.Errorf("%s: ML-DSA component: probe: %w", k.c.name, err)
	}
	return nil
}
