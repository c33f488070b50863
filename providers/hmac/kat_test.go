package hmac

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
)

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestKeygenIssueVectors checks the known answers the MVP published.
func TestKeygenIssueVectors(t *testing.T) {
	key := Keygen(42)
	if got, want := hex.EncodeToString(key[:]), "7848b5d711bc9883996317a3f9c90269d56771005d540a19184939c9e8d0db2a"; got != want {
		t.Fatalf("Keygen(42) = %s, want %s", got, want)
	}
	k := NewFromSeed(42)
	tag, err := k.Sign(context.Background(), []byte("hello deterministic world"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(tag), "1666c07b7d59d0acf5ee5097dd8958ffcdcdbcd336d4205e47ee8a23344db8ff"; got != want {
		t.Fatalf("sign(keygen(42), %q) = %s, want %s", "hello deterministic world", got, want)
	}
}

// TestMVPReferenceVectors checks vectors made by the MVP's own crates
// (rand_chacha 0.3.1, rand_core 0.6.3, hmac 0.12.1, sha2 0.10.5) with the
// program in testdata/mvpref.
func TestMVPReferenceVectors(t *testing.T) {
	var vectors []struct{ Seed, Key, Payload, Tag string }
	readJSON(t, "testdata/mvp_vectors.json", &vectors)
	if len(vectors) == 0 {
		t.Fatal("no vectors")
	}
	ctx := context.Background()
	for _, v := range vectors {
		seed, err := strconv.ParseUint(v.Seed, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		key := Keygen(seed)
		if got := hex.EncodeToString(key[:]); got != v.Key {
			t.Errorf("Keygen(%d) = %s, want %s", seed, got, v.Key)
			continue
		}
		k := NewFromSeed(seed)
		tag, err := k.Sign(ctx, testenv.Hex(t, v.Payload))
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(tag); got != v.Tag {
			t.Errorf("seed %d payload %s: tag %s, want %s", seed, v.Payload, got, v.Tag)
		}
		if err := k.Verify(ctx, testenv.Hex(t, v.Payload), testenv.Hex(t, v.Tag)); err != nil {
			t.Errorf("seed %d: Verify of the MVP's tag: %v", seed, err)
		}
	}
}

// TestRFC4231 checks the HMAC-SHA-256 test cases of RFC 4231. Their keys are
// shorter than the backend accepts from a URI, so the test builds keys with
// newKey; case 5's tag is truncated to 128 bits, and Verify refuses it by
// design while the untruncated tag starts with it.
func TestRFC4231(t *testing.T) {
	var file struct {
		Cases []struct {
			Case           int
			Key, Data, MAC string
		}
	}
	readJSON(t, "testdata/rfc4231_sha256.json", &file)
	ctx := context.Background()
	for _, c := range file.Cases {
		t.Run(strconv.Itoa(c.Case), func(t *testing.T) {
			k := newKey(testenv.Hex(t, c.Key))
			data, want := testenv.Hex(t, c.Data), testenv.Hex(t, c.MAC)
			tag, err := k.Sign(ctx, data)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(tag[:len(want)]); got != c.MAC {
				t.Fatalf("tag %x, want %s", tag, c.MAC)
			}
			err = k.Verify(ctx, data, want)
			if len(want) == TagSize && err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if len(want) != TagSize && !errors.Is(err, provider.ErrInvalidSignature) {
				t.Fatalf("Verify of a truncated tag: %v, want ErrInvalidSignature", err)
			}
		})
	}
}

// TestWycheproof runs Wycheproof's hmac_sha256_test.json. Groups with full
// 256-bit tags must verify exactly as the vectors say; groups with truncated
// tags check that our tag starts with theirs for valid cases, and that Verify
// refuses every truncated tag.
func TestWycheproof(t *testing.T) {
	var file struct {
		NumberOfTests int
		TestGroups    []struct {
			KeySize, TagSize int
			Tests            []struct {
				TcID                  int
				Comment               string
				Key, Msg, Tag, Result string
			}
		}
	}
	readJSON(t, testenv.WycheproofFile(t, "hmac_sha256_test.json"), &file)
	ctx := context.Background()
	ran := 0
	for _, g := range file.TestGroups {
		for _, tc := range g.Tests {
			ran++
			k := newKey(testenv.Hex(t, tc.Key))
			msg, want := testenv.Hex(t, tc.Msg), testenv.Hex(t, tc.Tag)
			tag, err := k.Sign(ctx, msg)
			if err != nil {
				t.Fatal(err)
			}
			match := len(want) <= len(tag) && hex.EncodeToString(tag[:len(want)]) == tc.Tag
			switch tc.Result {
			case "valid":
				if !match {
					t.Errorf("tcId %d (%s): tag %x does not start with %s", tc.TcID, tc.Comment, tag, tc.Tag)
				}
			case "invalid":
				if match && len(want) == TagSize {
					t.Errorf("tcId %d (%s): invalid tag matches", tc.TcID, tc.Comment)
				}
			}
			err = k.Verify(ctx, msg, want)
			accept := tc.Result == "valid" && len(want) == TagSize
			if accept && err != nil {
				t.Errorf("tcId %d (%s): Verify: %v", tc.TcID, tc.Comment, err)
			}
			if !accept && !errors.Is(err, provider.ErrInvalidSignature) {
				t.Errorf("tcId %d (%s): Verify returned %v, want ErrInvalidSignature", tc.TcID, tc.Comment, err)
			}
		}
	}
	if ran != file.NumberOfTests || ran == 0 {
		t.Fatalf("ran %d of %d vectors", ran, file.NumberOfTests)
	}
	t.Logf("%d Wycheproof vectors", ran)
}
