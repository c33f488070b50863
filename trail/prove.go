package trail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/execadapter/audit"
)

// Fetcher reads a C2SP tlog-tiles log: its checkpoint, its tiles and its
// entry bundles. client.HTTPFetcher (a log served over HTTP, such as the
// trail or an export behind a file server) and client.FileFetcher (an
// export directory) are Fetchers.
type Fetcher interface {
	ReadCheckpoint(ctx context.Context) ([]byte, error)
	ReadTile(ctx context.Context, level, index uint64, p uint8) ([]byte, error)
	ReadEntryBundle(ctx context.Context, index uint64, p uint8) ([]byte, error)
}

// NewFetcher returns the Fetcher of the log at loc: an http:// or https://
// URL, or a local directory.
func NewFetcher(loc string) (Fetcher, error) {
	if strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://") {
		u, err := url.Parse(loc)
		if err != nil {
			return nil, fmt.Errorf("log URL %q: %w", loc, err)
		}
		return client.NewHTTPFetcher(u, nil)
	}
	if strings.Contains(loc, "://") {
		return nil, fmt.Errorf("log %q: give an http:// or https:// URL, or a local directory", loc)
	}
	return client.FileFetcher{Root: loc}, nil
}

// Prove builds the proof that record seq (from 1) of the adapter log whose
// last checkpoint accepted by the trail is accepted is in the trail. The
// record and its inclusion in that checkpoint's tree are read from the
// adapter's exported log (audit export), the checkpoint's inclusion in the
// trail from the trail's tiles, against the trail's latest published
// checkpoint. It checks every hash it uses against the checkpoints it
// proves to, so a tile changed in storage fails here, but it does not
// check signatures: [Proof.Check] does, offline.
func Prove(ctx context.Context, exported, trail Fetcher, accepted Accepted, seq uint64) (*Proof, error) {
	text, _, _ := strings.Cut(string(accepted.Note), "\n\n")
	c, err := audit.ParseCheckpoint(text + "\n")
	if err != nil {
		return nil, fmt.Errorf("the adapter checkpoint the trail accepted: %w", err)
	}
	if seq == 0 || seq > uint64(c.N) {
		return nil, fmt.Errorf("record %d is not covered by the adapter checkpoint the trail holds (size %d): wait for the adapter's next checkpoint to reach the trail", seq, c.N)
	}
	leaf := seq - 1
	b, err := client.GetEntryBundle(ctx, exported.ReadEntryBundle, leaf/256, uint64(c.N))
	if err != nil {
		return nil, fmt.Errorf("the exported log: %w (export the log again: it must cover the trail's checkpoint of size %d)", err, c.N)
	}
	if int(leaf%256) >= len(b.Entries) {
		return nil, fmt.Errorf("the exported log's entry bundle %d holds %d entries, not entry %d", leaf/256, len(b.Entries), leaf)
	}
	record := b.Entries[leaf%256]
	hashes, err := inclusion(ctx, exported, uint64(c.N), leaf, c.Hash, tlog.RecordHash(record))
	if err != nil {
		return nil, fmt.Errorf("record %d in the exported log at size %d: %w", seq, c.N, err)
	}
	ap := &audit.Proof{Seq: seq, Record: record, Hashes: hashes, Checkpoint: accepted.Note}

	tcp, err := trail.ReadCheckpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("the trail's checkpoint: %w", err)
	}
	var t log.Checkpoint
	if _, err := t.Unmarshal(tcp); err != nil {
		return nil, fmt.Errorf("the trail's checkpoint: %w", err)
	}
	if accepted.Index >= t.Size {
		return nil, fmt.Errorf("the trail's published checkpoint covers %d entries, not yet entry %d: try again after its next checkpoint", t.Size, accepted.Index)
	}
	var root tlog.Hash
	if len(t.Hash) != len(root) {
		return nil, fmt.Errorf("the trail's checkpoint has a %d-byte root hash", len(t.Hash))
	}
	copy(root[:], t.Hash)
	th, err := inclusion(ctx, trail, t.Size, accepted.Index, root, tlog.RecordHash(accepted.Note))
	if err != nil {
		return nil, fmt.Errorf("the adapter's checkpoint at entry %d of the trail: %w", accepted.Index, err)
	}
	return &Proof{Audit: ap, Index: accepted.Index, Hashes: th, Checkpoint: tcp}, nil
}

// inclusion returns the inclusion proof of leaf (hash h) in the tree of
// size n and root, built from f's tiles and checked against root.
func inclusion(ctx context.Context, f Fetcher, n, leaf uint64, root, h tlog.Hash) (tlog.RecordProof, error) {
	pb, err := client.NewProofBuilder(ctx, n, f.ReadTile)
	if err != nil {
		return nil, err
	}
	raw, err := pb.InclusionProof(ctx, leaf)
	if err != nil {
		return nil, err
	}
	p := make(tlog.RecordProof, len(raw))
	for i, r := range raw {
		if len(r) != len(p[i]) {
			return nil, fmt.Errorf("a %d-byte hash in the tiles", len(r))
		}
		copy(p[i][:], r)
	}
	if err := tlog.CheckRecord(p, int64(n), root, int64(leaf), h); err != nil {
		return nil, fmt.Errorf("the tiles do not match the checkpoint: %w", err)
	}
	return p, nil
}

// MaxAcceptedSize bounds the answer of GET /origin/{origin}.
const MaxAcceptedSize = 64 << 10

// FetchAccepted asks the trail at base (its URL) for the last checkpoint it
// accepted for origin (GET /origin/{origin}). The answer is not trusted:
// [Prove] checks the checkpoint is in the trail's tree, and [Proof.Check]
// its signature.
func FetchAccepted(ctx context.Context, hc *http.Client, base, origin string) (Accepted, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	u := strings.TrimSuffix(base, "/") + "/origin/" + url.PathEscape(origin)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Accepted{}, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Accepted{}, fmt.Errorf("trail %s: %w", base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxAcceptedSize+1))
	if err != nil {
		return Accepted{}, fmt.Errorf("trail %s: %w", base, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return Accepted{}, fmt.Errorf("trail %s: no checkpoint of origin %q accepted yet (is the adapter forwarding to it?)", base, origin)
	case resp.StatusCode != http.StatusOK:
		return Accepted{}, fmt.Errorf("trail %s: GET /origin/%s: %s", base, url.PathEscape(origin), resp.Status)
	case len(body) > MaxAcceptedSize:
		return Accepted{}, fmt.Errorf("trail %s: the answer for origin %q is larger than %d bytes", base, origin, MaxAcceptedSize)
	}
	return ParseAccepted(body)
}

// ParseAccepted parses the answer of GET /origin/{origin}: "index I", a
// newline and the signed checkpoint note.
func ParseAccepted(b []byte) (Accepted, error) {
	line, n, ok := strings.Cut(string(b), "\n")
	s, ok2 := strings.CutPrefix(line, "index ")
	i, err := strconv.ParseUint(s, 10, 63)
	if !ok || !ok2 || err != nil || s != strconv.FormatUint(i, 10) || n == "" {
		return Accepted{}, errors.New("trail: malformed answer for an origin: want \"index I\" and a signed note")
	}
	return Accepted{Index: i, Note: []byte(n)}, nil
}
