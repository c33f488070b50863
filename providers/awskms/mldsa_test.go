package awskms_test

import (
	"bytes"
	"context"
	"crypto"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cloudflare/circl/sign"
	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"
	"golang.org/x/crypto/sha3"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/awskms"
)

// local-kms has no ML-DSA keys, so the ML-DSA path is tested against
// mldsaKMS: an HTTP server in this file that speaks the parts of the KMS JSON
// protocol the backend uses (DescribeKey, GetPublicKey, Sign, Verify) for
// ML-DSA keys, checks every request the backend sends, and signs with circl
// directly. It has not been run against AWS KMS itself.

// mldsaKey is one ML-DSA key of the test server.
type mldsaKey struct {
	id, spec string
	scheme   sign.Scheme
	pk       sign.PublicKey
	sk       sign.PrivateKey
	pkRaw    []byte
	spki     []byte
}

// mldsaKMS is the test server.
type mldsaKMS struct {
	t            *testing.T
	srv          *httptest.Server
	keys         map[string]*mldsaKey // by key ID and by alias
	noExternalMu atomic.Bool          // answer EXTERNAL_MU with ValidationException, as an endpoint without it would
	requests     atomic.Int64

	mu   sync.Mutex
	book [][]byte       // messages the test may sign through EXTERNAL_MU
	seen map[string]int // message types of Sign and Verify requests
}

func newMLDSAKMS(t *testing.T) *mldsaKMS {
	s := &mldsaKMS{t: t, keys: map[string]*mldsaKey{}, seen: map[string]int{}, book: [][]byte{{}}}
	for i, p := range []struct {
		name   string
		scheme sign.Scheme
	}{
		{"44", mldsa44.Scheme()}, {"65", mldsa65.Scheme()}, {"87", mldsa87.Scheme()},
	} {
		for j, which := range []string{"a", "b"} {
			seed := bytes.Repeat([]byte{byte(16*i + j + 1)}, p.scheme.SeedSize())
			pk, sk := p.scheme.DeriveKey(seed)
			raw, err := pk.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			oid := p.scheme.(interface{ Oid() asn1.ObjectIdentifier }).Oid()
			spki, err := asn1.Marshal(struct {
				Alg struct{ OID asn1.ObjectIdentifier }
				Key asn1.BitString
			}{Alg: struct{ OID asn1.ObjectIdentifier }{oid}, Key: asn1.BitString{Bytes: raw, BitLength: 8 * len(raw)}})
			if err != nil {
				t.Fatal(err)
			}
			k := &mldsaKey{
				id:     fmt.Sprintf("00000000-0000-4000-9000-0000000000%s%d", p.name, j),
				spec:   "ML_DSA_" + p.name,
				scheme: p.scheme, pk: pk, sk: sk, pkRaw: raw, spki: spki,
			}
			s.keys[k.id] = k
			s.keys["alias/tw-mldsa-"+p.name+"-"+which] = k
		}
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *mldsaKMS) URI(keyID string, query ...string) string {
	return "awskms:key-id=" + keyID + ";region=" + testRegion + "?endpoint=" + s.srv.URL + strings.Join(append([]string{""}, query...), "&")
}

// allow adds messages the test will sign or verify through EXTERNAL_MU.
func (s *mldsaKMS) allow(msgs ...[]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.book = append(s.book, msgs...)
}

func (s *mldsaKMS) count(messageType string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[messageType]
}

// muOf is this test's own computation of FIPS 204's mu for an empty
// context, with golang.org/x/crypto/sha3 rather than the backend's crypto/sha3.
func muOf(pkRaw, msg []byte) []byte {
	tr := make([]byte, 64)
	sha3.ShakeSum256(tr, pkRaw)
	mu := make([]byte, 64)
	sha3.ShakeSum256(mu, append(append(tr, 0, 0), msg...))
	return mu
}

type kmsRequest struct {
	KeyId            string
	Message          []byte
	MessageType      string
	Signature        []byte
	SigningAlgorithm string
}

func (s *mldsaKMS) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	fail := func(status int, code, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if code == "ValidationException" {
			s.t.Errorf("ML-DSA test server: bad request: %s", msg)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
	}
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(v)
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		fail(400, "ValidationException", "%s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		fail(400, "MissingAuthenticationTokenException", "request is not SigV4-signed")
		return
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "TrentService.")
	body, err := io.ReadAll(r.Body)
	var req kmsRequest
	if !ok || err != nil || json.Unmarshal(body, &req) != nil {
		fail(400, "ValidationException", "unreadable request: target %q, body %q", r.Header.Get("X-Amz-Target"), body)
		return
	}
	k := s.keys[req.KeyId]
	if k == nil {
		fail(400, "NotFoundException", "key %s does not exist", req.KeyId)
		return
	}
	arn := "arn:aws:kms:" + testRegion + ":" + testAccount + ":key/" + k.id
	switch op {
	case "DescribeKey":
		reply(map[string]any{"KeyMetadata": map[string]any{
			"KeyId": k.id, "Arn": arn, "KeySpec": k.spec, "KeyUsage": "SIGN_VERIFY",
			"KeyState": "Enabled", "Enabled": true, "SigningAlgorithms": []string{"ML_DSA_SHAKE_256"},
		}})
		return
	case "GetPublicKey":
		reply(map[string]any{"KeyId": arn, "PublicKey": k.spki, "KeySpec": k.spec, "KeyUsage": "SIGN_VERIFY",
			"SigningAlgorithms": []string{"ML_DSA_SHAKE_256"}})
		return
	case "Sign", "Verify":
	default:
		fail(400, "ValidationException", "unexpected operation %s", op)
		return
	}
	if req.SigningAlgorithm != "ML_DSA_SHAKE_256" {
		fail(400, "ValidationException", "%s with SigningAlgorithm %q, want ML_DSA_SHAKE_256", op, req.SigningAlgorithm)
		return
	}
	s.mu.Lock()
	s.seen[req.MessageType]++
	s.mu.Unlock()
	var msg []byte
	switch req.MessageType {
	case "RAW":
		if len(req.Message) < 1 || len(req.Message) > 4096 {
			fail(400, "ValidationException", "RAW message of %d bytes; KMS takes 1 to 4096", len(req.Message))
			return
		}
		msg = req.Message
	case "EXTERNAL_MU":
		if s.noExternalMu.Load() {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(400)
			w.Write([]byte(`{"__type":"ValidationException","message":"MessageType EXTERNAL_MU is not supported"}`))
			return
		}
		if len(req.Message) != 64 {
			fail(400, "ValidationException", "EXTERNAL_MU message of %d bytes, want 64", len(req.Message))
			return
		}
		s.mu.Lock()
		for _, m := range s.book {
			if bytes.Equal(muOf(k.pkRaw, m), req.Message) {
				msg = m
			}
		}
		s.mu.Unlock()
		if msg == nil {
			fail(400, "ValidationException", "EXTERNAL_MU %x is the mu of no message the test allowed", req.Message)
			return
		}
	default:
		fail(400, "ValidationException", "MessageType %q for ML-DSA; want RAW or EXTERNAL_MU", req.MessageType)
		return
	}
	if op == "Sign" {
		sig, err := hedgedSign(k.sk, msg)
		if err != nil {
			fail(500, "KMSInternalException", "%v", err)
			return
		}
		reply(map[string]any{"KeyId": arn, "Signature": sig, "SigningAlgorithm": "ML_DSA_SHAKE_256"})
		return
	}
	if !k.scheme.Verify(k.pk, msg, req.Signature, nil) {
		fail(400, "KMSInvalidSignatureException", "")
		return
	}
	reply(map[string]any{"KeyId": arn, "SignatureValid": true, "SigningAlgorithm": "ML_DSA_SHAKE_256"})
}

// hedgedSign signs msg with circl, randomised as KMS signs, empty context.
func hedgedSign(sk sign.PrivateKey, msg []byte) ([]byte, error) {
	switch sk := sk.(type) {
	case *mldsa44.PrivateKey:
		sig := make([]byte, mldsa44.SignatureSize)
		return sig, mldsa44.SignTo(sk, msg, nil, true, sig)
	case *mldsa65.PrivateKey:
		sig := make([]byte, mldsa65.SignatureSize)
		return sig, mldsa65.SignTo(sk, msg, nil, true, sig)
	case *mldsa87.PrivateKey:
		sig := make([]byte, mldsa87.SignatureSize)
		return sig, mldsa87.SignTo(sk, msg, nil, true, sig)
	}
	return nil, fmt.Errorf("not an ML-DSA key: %T", sk)
}

// TestMLDSAConformance runs the shared suite on ML-DSA-44, -65 and -87 keys of
// the test server, with local and with remote verification.
func TestMLDSAConformance(t *testing.T) {
	s := newMLDSAKMS(t)
	// The suite's 1 MiB round trip goes through EXTERNAL_MU, whose mu the
	// server can only match against messages it knows: the suite's messages
	// are m[i] = byte(i*31) ^ 0x5a. Should the suite change them, the server
	// fails the test naming the unknown mu.
	suiteMsg := make([]byte, 1<<20)
	for i := range suiteMsg {
		suiteMsg[i] = byte(i*31) ^ 0x5a
	}
	s.allow(suiteMsg)
	for _, p := range []string{"44", "65", "87"} {
		for _, verify := range []string{"local", "remote"} {
			t.Run("ML-DSA-"+p+"/verify="+verify, func(t *testing.T) {
				open := func(alias string) func(ctx context.Context) (provider.Key, error) {
					return func(ctx context.Context) (provider.Key, error) {
						return provider.Open(ctx, s.URI(alias, "verify="+verify))
					}
				}
				conformance.Test(t, conformance.Subject{
					Open:            open("alias/tw-mldsa-" + p + "-a"),
					Other:           open("alias/tw-mldsa-" + p + "-b"),
					Goroutines:      8,
					OpsPerGoroutine: 4,
				})
			})
		}
	}
	if s.count("RAW") == 0 || s.count("EXTERNAL_MU") == 0 {
		t.Errorf("the suite sent %d RAW and %d EXTERNAL_MU requests; want both kinds (the empty message goes as EXTERNAL_MU)", s.count("RAW"), s.count("EXTERNAL_MU"))
	}
}

// TestMLDSAExternalMu signs messages over the RAW limit through EXTERNAL_MU
// and checks the limit's edges and the refusals.
func TestMLDSAExternalMu(t *testing.T) {
	s := newMLDSAKMS(t)
	ctx := t.Context()
	atLimit := bytes.Repeat([]byte{1}, awskms.RawMessageLimit)
	overLimit := bytes.Repeat([]byte{2}, awskms.RawMessageLimit+1)
	huge := bytes.Repeat([]byte{3}, 1<<20)
	s.allow(overLimit, huge)
	for _, verify := range []string{"local", "remote"} {
		k, err := provider.Open(ctx, s.URI("alias/tw-mldsa-65-a", "verify="+verify))
		if err != nil {
			t.Fatal(err)
		}
		defer k.Close()
		for _, tc := range []struct {
			msg      []byte
			wantType string
		}{
			{atLimit, "RAW"}, {overLimit, "EXTERNAL_MU"}, {huge, "EXTERNAL_MU"}, {[]byte{}, "EXTERNAL_MU"},
		} {
			before := s.count(tc.wantType)
			sig, err := k.Sign(ctx, tc.msg)
			if err != nil {
				t.Fatalf("Sign of %d bytes: %v", len(tc.msg), err)
			}
			if s.count(tc.wantType) != before+1 {
				t.Errorf("Sign of %d bytes was not sent as %s", len(tc.msg), tc.wantType)
			}
			if !mldsa65.Verify(circlPublic65(t, k.(provider.PublicKeyer).Public()), tc.msg, nil, sig) {
				t.Errorf("circl rejects the signature of %d bytes", len(tc.msg))
			}
			if err := k.Verify(ctx, tc.msg, sig); err != nil {
				t.Errorf("verify=%s of %d bytes: %v", verify, len(tc.msg), err)
			}
			other := bytes.Clone(tc.msg)
			other = append(other, 0)
			s.allow(other)
			if err := k.Verify(ctx, other, sig); !errors.Is(err, provider.ErrInvalidSignature) {
				t.Errorf("verify=%s of the signature over another message = %v, want ErrInvalidSignature", verify, err)
			}
		}
	}

	t.Run("external-mu=false", func(t *testing.T) {
		k, err := provider.Open(ctx, s.URI("alias/tw-mldsa-65-a", "external-mu=false"))
		if err != nil {
			t.Fatal(err)
		}
		defer k.Close()
		before := s.requests.Load()
		_, err = k.Sign(ctx, overLimit)
		if !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "external-mu=false") || !strings.Contains(err.Error(), "4096") {
			t.Errorf("Sign of %d bytes with external-mu=false = %v, want ErrUnsupported naming the limit and the option", len(overLimit), err)
		}
		if s.requests.Load() != before {
			t.Error("a message that cannot be sent still reached KMS")
		}
		if _, err := k.Sign(ctx, atLimit); err != nil {
			t.Errorf("Sign of %d bytes with external-mu=false: %v", len(atLimit), err)
		}
	})
	t.Run("endpoint without EXTERNAL_MU", func(t *testing.T) {
		s.noExternalMu.Store(true)
		defer s.noExternalMu.Store(false)
		k, err := provider.Open(ctx, s.URI("alias/tw-mldsa-65-a"))
		if err != nil {
			t.Fatal(err)
		}
		defer k.Close()
		_, err = k.Sign(ctx, overLimit)
		if !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "EXTERNAL_MU") {
			t.Errorf("Sign when the endpoint refuses EXTERNAL_MU = %v, want ErrUnsupported naming EXTERNAL_MU", err)
		}
	})
}

// TestMLDSAMu checks the backend's mu against this test's own computation,
// and its tr against the tr that circl keeps inside the FIPS 204 private key
// encoding (rho || K || tr || ...).
func TestMLDSAMu(t *testing.T) {
	s := newMLDSAKMS(t)
	for _, name := range []string{"alias/tw-mldsa-44-a", "alias/tw-mldsa-65-a", "alias/tw-mldsa-87-a"} {
		k := s.keys[name]
		skRaw, err := k.sk.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		tr := awskms.MLDSATr(k.pkRaw)
		if !bytes.Equal(tr[:], skRaw[64:128]) {
			t.Errorf("%s: tr = %x, circl's private key holds %x", k.spec, tr, skRaw[64:128])
		}
		for _, msg := range [][]byte{{}, []byte("abc"), bytes.Repeat([]byte{7}, 5000)} {
			mu := awskms.MLDSAMu(&tr, msg)
			if want := muOf(k.pkRaw, msg); !bytes.Equal(mu[:], want) {
				t.Errorf("%s: mu of %d bytes = %x, want %x", k.spec, len(msg), mu, want)
			}
		}
	}
}

// circlPublic65 returns circl's form of the ML-DSA-65 key Public returned
// (circl's own type with Go 1.26, crypto/mldsa's with Go 1.27).
func circlPublic65(t *testing.T, pub crypto.PublicKey) *mldsa65.PublicKey {
	t.Helper()
	b, ok := pub.(interface{ Bytes() []byte })
	if !ok {
		t.Fatalf("Public() = %T, not an ML-DSA key", pub)
	}
	pk := new(mldsa65.PublicKey)
	if err := pk.UnmarshalBinary(b.Bytes()); err != nil {
		t.Fatal(err)
	}
	return pk
}

// TestMLDSAPublicKey checks the exported ML-DSA key (circl's type with Go
// 1.26, crypto/mldsa's with Go 1.27), and a PEM holding the
// SubjectPublicKeyInfo with the FIPS 204 OID.
func TestMLDSAPublicKey(t *testing.T) {
	s := newMLDSAKMS(t)
	k, err := provider.Open(t.Context(), s.URI("alias/tw-mldsa-87-a"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if got := k.Info().Algorithm; got != provider.MLDSA87 {
		t.Fatalf("algorithm %s, want ML-DSA-87", got)
	}
	pub, ok := k.(provider.PublicKeyer).Public().(interface{ Bytes() []byte })
	if !ok || !bytes.Equal(pub.Bytes(), s.keys["alias/tw-mldsa-87-a"].pkRaw) {
		t.Fatalf("Public() = %T, not the server's key", k.(provider.PublicKeyer).Public())
	}
	data, err := k.(provider.PublicKeyPEMer).PublicKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("-----BEGIN PUBLIC KEY-----")) {
		t.Fatalf("PEM: %s", data)
	}
	if k.Info().ID != provider.KeyIDFromPublic(s.keys["alias/tw-mldsa-87-a"].spki) {
		t.Error("Info().ID is not derived from the SubjectPublicKeyInfo")
	}
	for _, n := range []int{0, mldsa87.SignatureSize - 1, mldsa87.SignatureSize + 1} {
		err := k.Verify(t.Context(), []byte("m"), make([]byte, n))
		if !errors.Is(err, provider.ErrInvalidSignature) || !strings.Contains(err.Error(), fmt.Sprint(mldsa87.SignatureSize)) {
			t.Errorf("Verify of a %d-byte signature = %v, want ErrInvalidSignature naming the size", n, err)
		}
	}
}
