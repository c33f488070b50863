package audit

import (
	"fmt"
	"net/http"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Witness is a C2SP tlog-witness the writer sends its checkpoints to.
type Witness struct {
	// URL is the witness's base URL; requests go to URL + "/add-checkpoint".
	URL string
	// Key is the witness's verifier key (name+hash+base64 of 0x04 and its
	// Ed25519 public key); cosignatures that do not verify are not kept.
	Key string
	// Timeout bounds one request, and how long Close waits for the witness
	// to cosign the last checkpoint (default 5s).
	Timeout time.Duration
	// Client is the HTTP client (default: a client of its own).
	Client *http.Client
}

// newWitnessForwarder returns the forwarder of w's checkpoints to the
// witness o: a 200 OK answer holds the witness's cosignature lines, which
// must verify under o.Key; the cosigned note is appended to the
// checkpoints file and counted (Stats.Cosignatures).
func newWitnessForwarder(w *Writer, o Witness) (*forwarder, error) {
	v, err := ParseWitnessKey(o.Key)
	if err != nil {
		return nil, err
	}
	accept := func(cp Checkpoint, msg, answer []byte) error {
		full := append(append([]byte(nil), msg...), answer...)
		n, err := note.Open(full, note.VerifierList(w.key, v))
		if err != nil || !cosignedBy(n, v) {
			return fmt.Errorf("the witness's answer holds no valid cosignature (%v)", err)
		}
		w.appendCheckpointsFile(full)
		w.cosigs.Add(1)
		return nil
	}
	return newForwarder(w, "witness", v.Name(), o.URL, o.Timeout, o.Client, &w.wFailures, accept)
}
