package conformance

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/internal/wycheproof"
	"github.com/tinywindow/tinywindow/provider"
)

// vectors holds the known-answer sets the suite carries, gzip-compressed:
// Wycheproof's files for the algorithms internal/stdverify judges, byte for
// byte as the pinned module (wycheproof.Module) holds them, and the MVP's
// HMAC vectors (providers/hmac/testdata/mvp_vectors.json). TestVectorsPinned
// holds them to their sources; vectors/README.md says how to refresh them.
//
//go:embed vectors/*.json.gz
var vectors embed.FS

// maxVectorFile bounds a decompressed vector file.
const maxVectorFile = 4 << 20

// readVectors returns the decompressed file name of the embedded sets.
func readVectors(name string) ([]byte, error) {
	gz, err := vectors.ReadFile("vectors/" + name + ".gz")
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("vectors %s: %w", name, err)
	}
	data, err := io.ReadAll(io.LimitReader(zr, maxVectorFile+1))
	if err != nil {
		return nil, fmt.Errorf("vectors %s: %w", name, err)
	}
	if len(data) > maxVectorFile {
		return nil, fmt.Errorf("vectors %s: more than %d bytes", name, maxVectorFile)
	}
	return data, nil
}

// wycheproofCases parses the embedded Wycheproof vectors of each algorithm
// once.
var wycheproofCases = sync.OnceValue(func() map[provider.Algorithm][]wycheproof.Case {
	m := make(map[provider.Algorithm][]wycheproof.Case)
	for alg, name := range wycheproof.Files {
		data, err := readVectors(name)
		if err != nil {
			panic("conformance: embedded vectors: " + err.Error())
		}
		cases, err := wycheproof.Parse(alg, data)
		if err != nil {
			panic("conformance: embedded vectors: " + err.Error())
		}
		m[alg] = cases
	}
	return m
})

// knownAnswerSet names the known-answer set of the check name for alg, as a
// report gives it for the check's standard; "" where there is none.
func knownAnswerSet(name string, alg provider.Algorithm) string {
	switch name {
	case "kat/wycheproof":
		if f, ok := wycheproof.Files[alg]; ok {
			return "Wycheproof " + f + " (" + wycheproof.Module + ")"
		}
		return "Wycheproof (no vectors for " + string(alg) + ")"
	case "kat/mvp":
		return "the MVP's vectors (providers/hmac/testdata/mvp_vectors.json)"
	}
	return ""
}

// wycheproofVerdict is the outcome of judging one algorithm's vectors.
type wycheproofVerdict struct {
	status  Status
	reason  string
	vectors int
}

// wycheproofVerdicts keeps each algorithm's verdict: the rule judged does
// not depend on the key, so a process judges each set once.
var wycheproofVerdicts sync.Map // provider.Algorithm → wycheproofVerdict

// checkWycheproof judges the embedded Wycheproof vectors of the key's
// algorithm with internal/stdverify, the rule publickey/stdlib and every
// local verifier use: each valid vector must verify and every other be
// rejected as invalid.
func checkWycheproof(_ context.Context, r *run) (Status, string) {
	v, ok := wycheproofVerdicts.Load(r.alg)
	if !ok {
		v, _ = wycheproofVerdicts.LoadOrStore(r.alg, judgeWycheproof(r.alg))
	}
	verdict := v.(wycheproofVerdict)
	r.vectors = verdict.vectors
	return verdict.status, verdict.reason
}

func judgeWycheproof(alg provider.Algorithm) wycheproofVerdict {
	cases, ok := wycheproofCases()[alg]
	if !ok {
		return wycheproofVerdict{Skip, fmt.Sprintf("the suite carries no Wycheproof vectors for %s", alg), 0}
	}
	valid, invalid, errs := wycheproof.Judge(cases, stdverify.Verify)
	if len(errs) > 0 {
		return wycheproofVerdict{Fail, fmt.Sprintf("%d of %d vectors judged wrongly; first: %v", len(errs), len(cases), errs[0]), len(cases)}
	}
	return wycheproofVerdict{Pass, fmt.Sprintf("%d vectors: %d valid verify, %d invalid or merely acceptable are rejected", len(cases), valid, invalid), len(cases)}
}

// mvpVector is one of the MVP's HMAC vectors.
type mvpVector struct {
	Seed    string `json:"seed"`
	Key     string `json:"key"`
	Payload string `json:"payload"`
	Tag     string `json:"tag"`
}

// mvpVectors parses the embedded MVP vectors once.
var mvpVectors = sync.OnceValues(func() ([]mvpVector, error) {
	data, err := readVectors("mvp_vectors.json")
	if err != nil {
		return nil, err
	}
	var vs []mvpVector
	if err := json.Unmarshal(data, &vs); err != nil {
		return nil, fmt.Errorf("vectors mvp_vectors.json: %w", err)
	}
	return vs, nil
})

// checkMVP finds which of the MVP's vector keys the key under test is, by
// signing the first payload of each, and then checks that it makes every
// tag of that key's vectors, byte for byte. A key that is none of them (any
// key not derived from one of the vectors' seeds) skips.
func checkMVP(ctx context.Context, r *run) (Status, string) {
	if r.alg != provider.HMACSHA256 {
		return Skip, "the MVP's vectors are HMAC-SHA256 tags"
	}
	vs, err := mvpVectors()
	if err != nil {
		return failf("%v", err)
	}
	sign := func(v mvpVector) (bool, error) {
		payload, err1 := hex.DecodeString(v.Payload)
		tag, err2 := hex.DecodeString(v.Tag)
		if err := errors.Join(err1, err2); err != nil {
			return false, fmt.Errorf("vector of seed %s: %w", v.Seed, err)
		}
		got, err := r.key.Sign(ctx, payload)
		if err != nil {
			return false, fmt.Errorf("signing the payload of a vector of seed %s: %w", v.Seed, err)
		}
		return subtle.ConstantTimeCompare(got, tag) == 1, nil
	}
	var seeds []string
	for _, v := range vs {
		if !slices.Contains(seeds, v.Seed) {
			seeds = append(seeds, v.Seed)
		}
	}
	for _, seed := range seeds {
		first := vs[slices.IndexFunc(vs, func(v mvpVector) bool { return v.Seed == seed })]
		ok, err := sign(first)
		if err != nil {
			return failf("%v", err)
		}
		if !ok {
			continue
		}
		n := 0
		for _, v := range vs {
			if v.Seed != seed {
				continue
			}
			n++
			if ok, err := sign(v); err != nil || !ok {
				return failf("the key is the MVP's key of seed %s, yet its tag of payload %q differs from the MVP's (%v)", seed, clip(v.Payload), err)
			}
		}
		r.vectors = n
		return Pass, fmt.Sprintf("the key is the MVP's key of seed %s: its %d tags equal the MVP's", seed, n)
	}
	return Skip, fmt.Sprintf("the key is none of the MVP's vector keys (seeds %v); only those have known answers", seeds)
}
