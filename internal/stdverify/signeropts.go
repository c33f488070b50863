package stdverify

import (
	"crypto"
	"crypto/rsa"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// CheckSignerOpts checks that a crypto.Signer caller asks a key of
// algorithm alg for the signature the rule makes: opts names the hash alg
// names (provider.Algorithm.Hash) and digest is that hash's size; an
// RSA-PSS key gets *rsa.PSSOptions with a salt as long as the hash
// (rsa.PSSSaltLengthEqualsHash or the hash size), and any other key no
// RSA-PSS options. For an algorithm that signs the message itself (Ed25519,
// ML-DSA) opts must name no hash and digest is the message. It returns
// errors matching ErrUnsupported for a mismatch of algorithm and
// ErrInvalidConfig for nil opts or a digest of the wrong size.
func CheckSignerOpts(alg provider.Algorithm, digest []byte, opts crypto.SignerOpts) error {
	if opts == nil {
		return fmt.Errorf("%w: nil SignerOpts; pass the key's hash (%v)", provider.ErrInvalidConfig, alg.Hash())
	}
	h := alg.Hash()
	if h == 0 {
		if got := opts.HashFunc(); got != 0 {
			return fmt.Errorf("%w: %s signs the message itself; SignerOpts must name no hash, not %v", provider.ErrUnsupported, alg, got)
		}
		return nil
	}
	if got := opts.HashFunc(); got != h {
		return fmt.Errorf("%w: a %s key signs %v digests, not %v", provider.ErrUnsupported, alg, h, hashName(got))
	}
	if len(digest) != h.Size() {
		return fmt.Errorf("%w: digest is %d bytes; %v digests are %d", provider.ErrInvalidConfig, len(digest), h, h.Size())
	}
	p, isPSS := opts.(*rsa.PSSOptions)
	switch {
	case alg == provider.RSAPSSSHA256 && (!isPSS || p.SaltLength != rsa.PSSSaltLengthEqualsHash && p.SaltLength != h.Size()):
		return fmt.Errorf("%w: the key signs RSA-PSS with a salt as long as the hash; pass *rsa.PSSOptions with SaltLength rsa.PSSSaltLengthEqualsHash", provider.ErrUnsupported)
	case alg != provider.RSAPSSSHA256 && isPSS:
		return fmt.Errorf("%w: the key signs %s, not RSA-PSS", provider.ErrUnsupported, alg)
	}
	return nil
}

func hashName(h crypto.Hash) string {
	if h == 0 {
		return "no hash"
	}
	return h.String()
}
