package trail

import (
	"fmt"
	"net/url"

	"github.com/transparency-dev/tessera"

	"github.com/tinywindow/tinywindow/provider"
)

// Witness is a C2SP tlog-witness (litewitness, for one) that cosigns the
// trail's checkpoints.
type Witness struct {
	// URL is the witness's root URL: the trail posts to URL/add-checkpoint.
	URL string
	// VerifierKey is the witness's C2SP cosignature/v1 verifier key
	// (name+hash+base64, the vkey litewitness prints).
	VerifierKey string
}

// witnessGroup is the Tessera policy of ws: every one must cosign.
func witnessGroup(ws []Witness) (tessera.WitnessGroup, error) {
	var g tessera.WitnessGroup
	for i, w := range ws {
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return g, fmt.Errorf("%w: trail: witness %d: URL %q: write http(s)://HOST[:PORT][/PATH]", provider.ErrInvalidConfig, i+1, w.URL)
		}
		tw, err := tessera.NewWitness(w.VerifierKey, u)
		if err != nil {
			return g, fmt.Errorf("%w: trail: witness %s: verifier key %q: %w; give its cosignature/v1 key", provider.ErrInvalidConfig, w.URL, w.VerifierKey, err)
		}
		if i == 0 {
			g = tessera.NewWitnessGroup(1, tw)
		} else {
			g = tessera.NewWitnessGroup(2, g, tw)
		}
	}
	return g, nil
}
