package audit

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Trail is a trail of checkpoints (tinywindow trail serve) the writer
// forwards its checkpoints to, as a witness's are sent: the latest
// checkpoint, with a consistency proof from the size the trail last
// accepted for the log's origin (learnt from a 409 Conflict), over the
// C2SP tlog-witness add-checkpoint request. The trail answers 200 OK with
// "index I\n", the checkpoint's entry index in the trail.
type Trail struct {
	// URL is the trail's base URL; requests go to URL + "/add-checkpoint".
	URL string
	// Timeout bounds one request, and how long Close waits for the trail
	// to accept the last checkpoint (default 5s).
	Timeout time.Duration
	// Client is the HTTP client (default: a client of its own).
	Client *http.Client
}

// newTrailForwarder returns the forwarder of w's checkpoints to the trail
// t: a 200 OK answer is "index I\n", counted (Stats.TrailAccepted) and
// kept (Stats.TrailIndex).
func newTrailForwarder(w *Writer, t Trail) (*forwarder, error) {
	accept := func(cp Checkpoint, msg, answer []byte) error {
		i, err := parseTrailIndex(answer)
		if err != nil {
			return err
		}
		w.tIndex.Store(i)
		w.tAccepted.Add(1)
		return nil
	}
	return newForwarder(w, "trail", t.URL, t.URL, t.Timeout, t.Client, &w.tFailures, accept)
}

// parseTrailIndex parses a trail's 200 OK answer, "index I\n".
func parseTrailIndex(answer []byte) (int64, error) {
	s, ok := strings.CutPrefix(string(answer), "index ")
	s, nl := strings.CutSuffix(s, "\n")
	i, err := strconv.ParseInt(s, 10, 64)
	if !ok || !nl || err != nil || i < 0 {
		return 0, fmt.Errorf("the trail's answer %q is not \"index I\\n\"", answer)
	}
	return i, nil
}
