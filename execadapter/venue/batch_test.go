package venue

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// canonicalOrders returns n canonical orders with client order IDs
// prefix-0, prefix-1, …
func canonicalOrders(t testing.TB, prefix string, n int, ts time.Time) [][]byte {
	t.Helper()
	out := make([][]byte, n)
	for i := range out {
		o := order.Order{ClientOrderID: fmt.Sprintf("%s-%d", prefix, i), Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Limit,
			Quantity: int64(1 + i), Price: order.Price{Mantissa: 19005, Exponent: -2}, TimeInForce: order.IOC, Timestamp: ts.UnixNano()}
		b, err := o.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

// signBatch signs orders as one batch with key.
func signBatch(t testing.TB, key provider.Signer, orders [][]byte) *SignedBatch {
	t.Helper()
	return signBatchAt(t, key, orders, 0, time.Now().UnixNano())
}

// signBatchAt signs orders as one batch with key, with a batch ID of id+1
// if id is not 0, stamped now.
func signBatchAt(t testing.TB, key provider.Signer, orders [][]byte, id uint64, now int64) *SignedBatch {
	t.Helper()
	bs, err := NewBatchSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	if id != 0 {
		bs.next.Store(id)
	}
	sb, err := bs.Sign(context.Background(), orders, now)
	if err != nil {
		t.Fatal(err)
	}
	return sb
}

// rfc6962Root is the Merkle tree hash of RFC 6962, section 2.1, written
// from its definition, to check the batch's root against.
func rfc6962Root(leaves [][]byte) [32]byte {
	if len(leaves) == 1 {
		return sha256.Sum256(append([]byte{0}, leaves[0]...))
	}
	k := 1 << (bits.Len(uint(len(leaves)-1)) - 1) // largest power of two below n
	l, r := rfc6962Root(leaves[:k]), rfc6962Root(leaves[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

func mlDSA44(t testing.TB, seed byte) *pqc.Key {
	t.Helper()
	k, err := pqc.NewFromSeed(bytes.Repeat([]byte{seed}, 32), pqc.Options{Algorithm: provider.MLDSA44})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestBatchSignAndCheck signs batches of every shape and checks that each
// order is authentic: its leaf is under the root the key signed, at its own
// index, with a proof of at most ceil(log2 N) hashes; the root is RFC 6962's
// tree hash of the leaves, each leaf OrderDomain and the envelope without
// its batch reference.
func TestBatchSignAndCheck(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		key  provider.Key
		n    int
	}{
		{"hmac 1", hmac.NewFromSeed(1), 1},
		{"hmac 2", hmac.NewFromSeed(1), 2},
		{"hmac 3", hmac.NewFromSeed(1), 3},
		{"hmac 7", hmac.NewFromSeed(1), 7},
		{"hmac 8", hmac.NewFromSeed(1), 8},
		{"hmac 255", hmac.NewFromSeed(1), 255},
		{"hmac 256", hmac.NewFromSeed(1), 256},
		{"hmac 257", hmac.NewFromSeed(1), 257},
		{"ML-DSA-44 100", mlDSA44(t, 1), 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orders := canonicalOrders(t, "c", tc.n, time.Now())
			sb := signBatch(t, tc.key, orders)
			var b Batch
			if err := ParseBatch(sb.Body, &b); err != nil {
				t.Fatal(err)
			}
			if b.ID != sb.ID || b.Leaves != tc.n || string(b.KeyID) != tc.key.Info().ID || string(b.Algorithm) != string(tc.key.Info().Algorithm) {
				t.Fatalf("batch %d of %d leaves by %q (%s); want %d of %d by %s", b.ID, b.Leaves, b.KeyID, b.Algorithm, sb.ID, tc.n, tc.key.Info().ID)
			}
			keys, err := provider.NewKeyring(tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyBatch(ctx, keys, &b); err != nil {
				t.Fatal(err)
			}
			msg := append([]byte(BatchDomain), b.Signed...)
			if err := tc.key.Verify(ctx, msg, b.Signature); err != nil {
				t.Fatalf("the batch signature is not over BatchDomain ‖ body: %v", err)
			}
			maxProof := bits.Len(uint(tc.n - 1)) // ceil(log2 n)
			var leaves [][]byte
			for i, env := range sb.Envelopes {
				var e Envelope
				if err := ParseEnvelope(env, &e); err != nil {
					t.Fatalf("envelope %d: %v", i, err)
				}
				if e.Version != BatchEnvelopeVersion || e.BatchID != sb.ID || e.Index != i || !bytes.Equal(e.Order, orders[i]) {
					t.Fatalf("envelope %d: version %d, batch %d, index %d, order %x", i, e.Version, e.BatchID, e.Index, e.Order)
				}
				if len(e.Proof)/32 > maxProof {
					t.Fatalf("envelope %d: proof of %d hashes; at most %d for %d leaves", i, len(e.Proof)/32, maxProof, tc.n)
				}
				if err := CheckLeaf(&b, &e); err != nil {
					t.Fatalf("envelope %d: %v", i, err)
				}
				leaves = append(leaves, append([]byte(OrderDomain), env[:len(e.Signed)]...))
				if LeafHash(&e) != sha256.Sum256(append([]byte{0}, leaves[i]...)) {
					t.Fatalf("envelope %d: LeafHash is not SHA-256(0x00 ‖ OrderDomain ‖ signed part)", i)
				}
			}
			if b.Root != rfc6962Root(leaves) {
				t.Fatal("the root is not the RFC 6962 tree hash of the leaves")
			}
		})
	}
}

// setBatchRef rewrites the batch ID, index and proof of a version 2
// envelope.
func setBatchRef(t testing.TB, env []byte, id uint64, index uint32, proof []byte) []byte {
	t.Helper()
	var e Envelope
	if err := ParseEnvelope(env, &e); err != nil {
		t.Fatal(err)
	}
	b := bytes.Clone(env[:len(e.Signed)])
	b = binary.BigEndian.AppendUint64(b, id)
	b = binary.BigEndian.AppendUint32(b, index)
	b = append(b, byte(len(proof)/32))
	return append(b, proof...)
}

// TestBatchLeafRefusals: an order is authentic only when its leaf is under
// a root the key signed, at the index it names; every other claim is
// refused with ErrNotInBatch (and provider.ErrInvalidSignature).
func TestBatchLeafRefusals(t *testing.T) {
	key, other := hmac.NewFromSeed(1), hmac.NewFromSeed(2)
	now := time.Now()
	a := signBatch(t, key, canonicalOrders(t, "a", 8, now))
	b := signBatch(t, key, canonicalOrders(t, "b", 8, now))
	c := signBatch(t, other, canonicalOrders(t, "a", 8, now))
	parse := func(body []byte) *Batch {
		var x Batch
		if err := ParseBatch(body, &x); err != nil {
			t.Fatal(err)
		}
		return &x
	}
	ba, bb := parse(a.Body), parse(b.Body)
	var e3, e5 Envelope
	ParseEnvelope(a.Envelopes[3], &e3)
	ParseEnvelope(a.Envelopes[5], &e5)
	flipped := bytes.Clone(a.Envelopes[3])
	flipped[len(e3.Signed)-1] ^= 1 // the order's last byte
	for _, tc := range []struct {
		name  string
		batch *Batch
		env   []byte
	}{
		{"a proof for another batch", bb, a.Envelopes[3]},
		{"a proof for another batch, under its ID", bb, setBatchRef(t, a.Envelopes[3], b.ID, 3, e3.Proof)},
		{"another index's proof", ba, setBatchRef(t, a.Envelopes[3], a.ID, 3, e5.Proof)},
		{"its proof at another index", ba, setBatchRef(t, a.Envelopes[3], a.ID, 5, e3.Proof)},
		{"index equal to the leaf count", ba, setBatchRef(t, a.Envelopes[3], a.ID, 8, e3.Proof)},
		{"index far out of range", ba, setBatchRef(t, a.Envelopes[3], a.ID, MaxBatchLeaves-1, e3.Proof)},
		{"a proof one hash short", ba, setBatchRef(t, a.Envelopes[3], a.ID, 3, e3.Proof[:len(e3.Proof)-32])},
		{"a proof one hash long", ba, setBatchRef(t, a.Envelopes[3], a.ID, 3, append(bytes.Clone(e3.Proof), e3.Proof[:32]...))},
		{"an empty proof", ba, setBatchRef(t, a.Envelopes[3], a.ID, 3, nil)},
		{"a changed order", ba, flipped},
		{"an order of another key, under the batch's ID", ba, setBatchRef(t, c.Envelopes[3], a.ID, 3, e3.Proof)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e Envelope
			if err := ParseEnvelope(tc.env, &e); err != nil {
				t.Fatal(err)
			}
			err := CheckLeaf(tc.batch, &e)
			if !errors.Is(err, ErrNotInBatch) || !errors.Is(err, provider.ErrInvalidSignature) {
				t.Fatalf("CheckLeaf = %v; want ErrNotInBatch", err)
			}
		})
	}
	if err := CheckLeaf(ba, &e3); err != nil {
		t.Fatalf("the genuine order: %v", err)
	}
}

// TestBatchSignatureReplay: a batch signature moved onto another root, leaf
// count, batch ID, time or key does not verify.
func TestBatchSignatureReplay(t *testing.T) {
	ctx := context.Background()
	key, other := hmac.NewFromSeed(1), hmac.NewFromSeed(2)
	keys, err := provider.NewKeyring(key, other)
	if err != nil {
		t.Fatal(err)
	}
	sb := signBatch(t, key, canonicalOrders(t, "a", 5, time.Now()))
	kl := len(key.Info().ID)
	// Offsets in the body: root at 13, key ID at 46, time after the
	// algorithm.
	timeAt := 46 + kl + 1 + len(key.Info().Algorithm)
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(sb.Body)) }
	for _, tc := range []struct {
		name string
		body []byte
		want error
	}{
		{"another root", edit(func(b []byte) []byte { b[13] ^= 1; return b }), provider.ErrInvalidSignature},
		{"another leaf count", edit(func(b []byte) []byte { b[12]++; return b }), provider.ErrInvalidSignature},
		{"another batch ID", edit(func(b []byte) []byte { b[8]++; return b }), provider.ErrInvalidSignature},
		{"another time", edit(func(b []byte) []byte { b[timeAt+7]++; return b }), provider.ErrInvalidSignature},
		{"another key", edit(func(b []byte) []byte {
			if len(other.Info().ID) != kl {
				t.Fatal("the keys' IDs differ in length")
			}
			copy(b[46:], other.Info().ID)
			return b
		}), provider.ErrInvalidSignature},
		{"an unknown key", edit(func(b []byte) []byte { b[46] ^= 0x20; return b }), provider.ErrKeyNotFound},
		{"another algorithm", edit(func(b []byte) []byte { b[46+kl+1] = 'X'; return b }), provider.ErrInvalidSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b Batch
			if err := ParseBatch(tc.body, &b); err != nil {
				t.Fatal(err)
			}
			if err := VerifyBatch(ctx, keys, &b); !errors.Is(err, tc.want) {
				t.Fatalf("VerifyBatch = %v; want %v", err, tc.want)
			}
		})
	}
	var b Batch
	if err := ParseBatch(sb.Body, &b); err != nil {
		t.Fatal(err)
	}
	if err := VerifyBatch(ctx, keys, &b); err != nil {
		t.Fatalf("the genuine batch: %v", err)
	}
}

// TestBatchSize: a batch of zero or more than MaxBatchLeaves orders is
// neither signed nor parsed.
func TestBatchSize(t *testing.T) {
	bs, err := NewBatchSigner(hmac.NewFromSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, n := range []int{0, MaxBatchLeaves + 1} {
		if _, err := bs.Sign(ctx, make([][]byte, n), 1); !errors.Is(err, ErrBatch) {
			t.Errorf("Sign of %d orders = %v; want ErrBatch", n, err)
		}
	}
	sb := signBatch(t, hmac.NewFromSeed(1), canonicalOrders(t, "a", 3, time.Now()))
	for _, n := range []uint32{0, MaxBatchLeaves + 1, 1<<32 - 1} {
		body := bytes.Clone(sb.Body)
		binary.BigEndian.PutUint32(body[9:], n)
		var b Batch
		if err := ParseBatch(body, &b); !errors.Is(err, ErrBatch) {
			t.Errorf("ParseBatch of a batch of %d leaves = %v; want ErrBatch", n, err)
		}
	}
}

// TestBatchEnvelopeVersions: version 1 envelopes keep their meaning; a
// version 2 envelope is never taken for a signed one by Opener.Verify, and
// a version the venue does not know is malformed.
func TestBatchEnvelopeVersions(t *testing.T) {
	key := hmac.NewFromSeed(1)
	keys, _ := provider.NewKeyring(key)
	op := NewOpener(keys)
	ctx := context.Background()
	var e Envelope
	if err := ParseEnvelope(signed(t, key, "v1", time.Now()), &e); err != nil || e.Version != EnvelopeVersion || e.Proof != nil {
		t.Fatalf("version 1: %v, version %d", err, e.Version)
	}
	if err := op.Verify(ctx, &e); err != nil {
		t.Fatalf("version 1: %v", err)
	}
	sb := signBatch(t, key, canonicalOrders(t, "a", 2, time.Now()))
	if err := ParseEnvelope(sb.Envelopes[1], &e); err != nil {
		t.Fatal(err)
	}
	if err := op.Verify(ctx, &e); !errors.Is(err, ErrNotInBatch) {
		t.Fatalf("Opener.Verify of a version 2 envelope = %v; want ErrNotInBatch", err)
	}
	v3 := bytes.Clone(sb.Envelopes[1])
	v3[0] = 3
	if err := ParseEnvelope(v3, &e); !errors.Is(err, ErrEnvelope) {
		t.Fatalf("version 3 = %v; want ErrEnvelope", err)
	}
}

// TestBatchEnvelopeMalformed: every truncation of a version 2 envelope and
// a proof length over MaxProof are malformed.
func TestBatchEnvelopeMalformed(t *testing.T) {
	sb := signBatch(t, hmac.NewFromSeed(1), canonicalOrders(t, "a", 5, time.Now()))
	env := sb.Envelopes[4]
	var e Envelope
	for n := range len(env) {
		if err := ParseEnvelope(env[:n], &e); !errors.Is(err, ErrEnvelope) {
			t.Fatalf("%d of %d bytes: %v", n, len(env), err)
		}
	}
	if err := ParseEnvelope(append(bytes.Clone(env), 0), &e); !errors.Is(err, ErrEnvelope) {
		t.Fatalf("a trailing byte: %v", err)
	}
	long := setBatchRef(t, env, sb.ID, 4, make([]byte, 32*(MaxProof+1)))
	if err := ParseEnvelope(long, &e); !errors.Is(err, ErrEnvelope) {
		t.Fatalf("a proof of %d hashes: %v", MaxProof+1, err)
	}
	var b Batch
	for n := range len(sb.Body) {
		if err := ParseBatch(sb.Body[:n], &b); !errors.Is(err, ErrBatch) {
			t.Fatalf("batch of %d of %d bytes: %v", n, len(sb.Body), err)
		}
	}
}

// FuzzParseBatch: ParseBatch never panics, and what it accepts is within
// bounds and verifies only if it is the batch that was signed.
func FuzzParseBatch(f *testing.F) {
	key := hmac.NewFromSeed(1)
	// Fixed, so that every fuzzing process signs the same batch.
	sb := signBatchAt(f, key, canonicalOrders(f, "a", 3, time.Unix(1, 0)), 41, 1)
	f.Add(sb.Body)
	f.Add(sb.Body[:45])
	keys, _ := provider.NewKeyring(key)
	f.Fuzz(func(t *testing.T, body []byte) {
		var b Batch
		if ParseBatch(body, &b) != nil {
			return
		}
		if b.Leaves < 1 || b.Leaves > MaxBatchLeaves || len(b.KeyID) == 0 || len(b.Signature) == 0 {
			t.Fatalf("accepted a batch of %d leaves, key %q, %d-byte signature", b.Leaves, b.KeyID, len(b.Signature))
		}
		if VerifyBatch(context.Background(), keys, &b) == nil && !bytes.Equal(body, sb.Body) {
			t.Fatalf("a batch that was never signed verifies: %x", body)
		}
	})
}

// FuzzParseBatchEnvelope: ParseEnvelope never panics on version 2
// envelopes, and CheckLeaf accepts against the signed batch only the
// envelopes that were signed in it.
func FuzzParseBatchEnvelope(f *testing.F) {
	key := hmac.NewFromSeed(1)
	sb := signBatchAt(f, key, canonicalOrders(f, "a", 5, time.Unix(1, 0)), 41, 1)
	for _, env := range sb.Envelopes {
		f.Add(env)
	}
	var b Batch
	if err := ParseBatch(sb.Body, &b); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, env []byte) {
		var e Envelope
		if ParseEnvelope(env, &e) != nil || e.Version != BatchEnvelopeVersion {
			return
		}
		if len(e.Proof)%32 != 0 || len(e.Proof) > 32*MaxProof || e.Index >= MaxBatchLeaves {
			t.Fatalf("accepted index %d and a proof of %d bytes", e.Index, len(e.Proof))
		}
		if CheckLeaf(&b, &e) == nil && !bytes.Equal(env, sb.Envelopes[e.Index]) {
			t.Fatalf("an envelope that was never signed is in the batch: %x", env)
		}
	})
}
