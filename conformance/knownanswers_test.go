package conformance_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/internal/wycheproof"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
	pemkey "github.com/tinywindow/tinywindow/providers/pem"
)

// forger is the MVP's key of a seed that makes one tag wrong: the tag of the
// payload "x".
type forger struct{ *hmac.Key }

func (k forger) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	sig, err := k.Key.Sign(ctx, msg)
	if string(msg) == "x" {
		sig[0] ^= 1
	}
	return sig, err
}

// TestKnownAnswers checks the known-answer checks of a report: the MVP's
// key of seed 42 makes all its tags, a key of another seed and an Ed25519
// key have none to make, a key that gets one tag wrong fails; an Ed25519
// key's rule judges all of Wycheproof's Ed25519 vectors rightly, and an HMAC
// key has no Wycheproof vectors.
func TestKnownAnswers(t *testing.T) {
	data, err := os.ReadFile("../providers/hmac/testdata/mvp_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var mvp []struct{ Seed, Payload string }
	if err := json.Unmarshal(data, &mvp); err != nil {
		t.Fatal(err)
	}
	seed42 := 0
	for _, v := range mvp {
		if v.Seed == "42" {
			seed42++
		}
	}
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	for _, tc := range []struct {
		name              string
		open              func(context.Context) (provider.Key, error)
		mvp, wyche        conformance.Status
		mvpN, wycheN      int
		mvpSays, wycheSay string
	}{
		{"MVP seed 42", conformance.OpenURI("hmac:seed=42"), conformance.Pass, conformance.Skip, seed42, 0, "seed 42", "no Wycheproof vectors for HMAC-SHA256"},
		{"another seed", conformance.OpenURI("hmac:seed=12345"), conformance.Skip, conformance.Skip, 0, 0, "none of the MVP's", ""},
		{"a forger of seed 42", func(context.Context) (provider.Key, error) { return forger{hmac.NewFromSeed(42)}, nil },
			conformance.Fail, conformance.Skip, 0, 0, `payload "78" differs`, ""},
		{"Ed25519", func(context.Context) (provider.Key, error) { return pemkey.New(edPriv, "") },
			conformance.Skip, conformance.Pass, 0, 150, "HMAC-SHA256 tags", "150 vectors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := conformance.Run(t.Context(), conformance.Subject{Open: tc.open, Goroutines: 1, OpsPerGoroutine: 1})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range rep.Checks {
				var st conformance.Status
				var n int
				var say string
				switch c.Name {
				case "kat/mvp":
					st, n, say = tc.mvp, tc.mvpN, tc.mvpSays
				case "kat/wycheproof":
					st, n, say = tc.wyche, tc.wycheN, tc.wycheSay
				default:
					continue
				}
				if c.Status != st || c.Vectors != n || !strings.Contains(c.Reason, say) {
					t.Errorf("%s: %s, %d vectors, %q; want %s, %d, one saying %q", c.Name, c.Status, c.Vectors, c.Reason, st, n, say)
				}
			}
		})
	}
}

// TestVectorsPinned checks that the known-answer sets the suite carries are,
// byte for byte, the pinned Wycheproof module's files and the MVP's vectors.
func TestVectorsPinned(t *testing.T) {
	gunzip := func(name string) []byte {
		f, err := os.Open("vectors/" + name + ".gz")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sources := map[string]string{"mvp_vectors.json": "../providers/hmac/testdata/mvp_vectors.json"}
	for _, name := range wycheproof.Files {
		sources[name] = testenv.WycheproofFile(t, name)
	}
	entries, err := os.ReadDir("vectors")
	if err != nil {
		t.Fatal(err)
	}
	gz := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".gz") {
			gz++
		}
	}
	if gz != len(sources) {
		t.Errorf("vectors/ holds %d sets, want the %d of %v", gz, len(sources), sources)
	}
	for name, src := range sources {
		want, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(gunzip(name), want) {
			t.Errorf("vectors/%s.gz is not %s; refresh it as vectors/README.md says", name, src)
		}
	}
}
