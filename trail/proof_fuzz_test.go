package trail

import (
	"bytes"
	"reflect"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tinywindow/tinywindow/execadapter/audit"
)

// sampleProof is a proof of the right form (not one that checks).
func sampleProof() *Proof {
	return &Proof{
		Audit: &audit.Proof{
			Seq:        7,
			Record:     []byte{0, 0, 0, 3, 1, 2, 3},
			Hashes:     tlog.RecordProof{{1}, {2}},
			Checkpoint: []byte("tinywindow.test/a\n7\nAAAA\ntime 1\n\n— tinywindow.test/a AAAA\n"),
		},
		Index:      41,
		Hashes:     tlog.RecordProof{{3}, {4}, {5}},
		Checkpoint: []byte("tinywindow.test/trail\n42\nAAAA\n\n— tinywindow.test/trail BBBB\n"),
	}
}

func TestProofRoundTrip(t *testing.T) {
	p := sampleProof()
	got, err := ParseProof(p.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("ParseProof(Marshal(p)) = %+v, want %+v", got, p)
	}
}

func TestParseProofRefuses(t *testing.T) {
	good := sampleProof().Marshal()
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"other header", bytes.Replace(good, []byte("trail proof v1"), []byte("trail proof v2"), 1)},
		{"audit length too long", bytes.Replace(good, []byte("\naudit "), []byte("\naudit 9"), 1)},
		{"audit length with sign", bytes.Replace(good, []byte("\naudit "), []byte("\naudit +"), 1)},
		{"no index", bytes.Replace(good, []byte("\nindex "), []byte("\nindox "), 1)},
		{"index with sign", bytes.Replace(good, []byte("\nindex 41"), []byte("\nindex +41"), 1)},
		{"bad hash", bytes.Replace(good, []byte(tlog.Hash{3}.String()), []byte("!!"), 1)},
		{"truncated", good[:len(proofHeaderV1)+20]},
		{"too large", append(good, make([]byte, MaxProofSize)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if p, err := ParseProof(tt.b); err == nil {
				t.Fatalf("ParseProof accepted it: %+v", p)
			}
		})
	}
}

// FuzzParseProof: ParseProof never panics, and what it accepts encodes
// back to bytes it parses to the same proof.
func FuzzParseProof(f *testing.F) {
	f.Add(sampleProof().Marshal())
	f.Add([]byte(proofHeaderV1 + "audit 1\nx\nindex 0\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseProof(b)
		if err != nil {
			return
		}
		q, err := ParseProof(p.Marshal())
		if err != nil {
			t.Fatalf("a parsed proof does not parse after Marshal: %v", err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip changed the proof: %+v, then %+v", p, q)
		}
	})
}
