package trail

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"
)

// MaxAddCheckpointSize is the largest add-checkpoint request body the trail
// reads; a larger one is refused (413) without being read whole.
const MaxAddCheckpointSize = 64 << 10

// MaxProofHashes is the most consistency proof hashes an add-checkpoint
// request may hold: a proof between two trees of fewer than 2^63 leaves
// has at most 63.
const MaxProofHashes = 63

// ErrMalformed matches the error of a request the trail cannot parse.
var ErrMalformed = errors.New("malformed add-checkpoint request")

// ParseAddCheckpoint parses the body of a C2SP tlog-witness add-checkpoint
// request: "old N\n", then the consistency proof from the tree of size N,
// one base64 hash a line, then an empty line, then the signed note, which
// it returns unparsed (the caller opens it with the origin's key). It is
// strict: N in canonical decimal, each hash the canonical base64 of 32
// bytes, at most [MaxProofHashes] of them, no proof when N is 0, a
// non-empty note, and a body of at most [MaxAddCheckpointSize] bytes.
// Errors match [ErrMalformed].
func ParseAddCheckpoint(body []byte) (old int64, proof []tlog.Hash, note []byte, err error) {
	bad := func(format string, args ...any) (int64, []tlog.Hash, []byte, error) {
		return 0, nil, nil, fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
	if len(body) > MaxAddCheckpointSize {
		return bad("%d bytes, more than %d", len(body), MaxAddCheckpointSize)
	}
	line, rest, ok := bytes.Cut(body, []byte("\n"))
	if !ok {
		return bad("no old line")
	}
	ns, ok := bytes.CutPrefix(line, []byte("old "))
	if !ok {
		return bad("first line %.40q is not \"old N\"", line)
	}
	old, err = strconv.ParseInt(string(ns), 10, 64)
	if err != nil || old < 0 || string(ns) != strconv.FormatInt(old, 10) {
		return bad("old size %.40q is not a size in canonical decimal", ns)
	}
	for {
		line, rest, ok = bytes.Cut(rest, []byte("\n"))
		if !ok {
			return bad("no empty line before the note")
		}
		if len(line) == 0 {
			break
		}
		if len(proof) == MaxProofHashes {
			return bad("more than %d proof hashes", MaxProofHashes)
		}
		h, err := tlog.ParseHash(string(line))
		if err != nil || h.String() != string(line) {
			return bad("proof hash %d: %.60q is not the base64 of 32 bytes", len(proof)+1, line)
		}
		proof = append(proof, h)
	}
	if old == 0 && len(proof) > 0 {
		return bad("a proof from the empty tree (old 0)")
	}
	if len(rest) == 0 {
		return bad("no signed note")
	}
	return old, proof, rest, nil
}
