package azurekv_test

// A local HTTPS server that speaks the parts of the Key Vault REST API
// (api-version 2025-07-01) the azkeys client uses to sign and verify, with
// real keys, so that the tests drive the real azkeys client end to end.

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azkeys"
	"github.com/tinywindow/tinywindow/providers/azurekv"
)

const (
	apiVersion = "2025-07-01"
	testToken  = "test-token-7f3a"
	vaultScope = "https://vault.azure.net/.default"
)

var b64 = base64.RawURLEncoding

// vaultDouble is the local Key Vault.
type vaultDouble struct {
	srv  *httptest.Server
	cred *fakeCredential

	mu            sync.Mutex
	keys          map[string]*doubleKey
	faults        []fault
	counts        map[string]int // "get", "sign", "verify", "unauthenticated"
	signVersions  []string       // the version of each sign request
	deterministic bool           // ECDSA per RFC 6979 instead of random nonces
	nextVersion   int
}

// doubleKey is one named key and its versions, the last being the latest.
type doubleKey struct {
	kty      string // overrides the type derived from the key (for "oct", "EC-HSM")
	ops      []string
	versions []doubleVersion
	doubleKeyPolicy
}

// doubleKeyPolicy is what GetKey's attributes and GetKeyRotationPolicy
// report of a key beyond its material.
type doubleKeyPolicy struct {
	exportable    *bool // attributes.exportable; nil: not in the answer
	releasePolicy bool  // a release_policy, which an exportable key must have
	managed       bool  // the key backs a certificate
	expires       int64 // attributes.exp and nbf, Unix seconds; 0: not set
	notBefore     int64
	rotateAfter   string // a Rotate action's timeAfterCreate (ISO 8601)
	rotateBefore  string // a Rotate action's timeBeforeExpiry; both "": no Rotate action
	expiryTime    string // the policy's attributes.expiryTime
}

type doubleVersion struct {
	version string
	priv    crypto.Signer    // nil for an octet key or a public key only
	pub     crypto.PublicKey // a key the vault can only describe; nil: priv's
}

// fault is a canned error answer to the next request of an operation ("get",
// "sign", "verify"; "" matches any), used once.
type fault struct {
	op      string
	status  int
	code    string
	headers map[string]string
}

// fakeCredential stands in for an Entra ID credential: it hands out one
// token, valid for an hour, and records the scopes asked for.
type fakeCredential struct {
	calls  atomic.Int32
	mu     sync.Mutex
	scopes []string
	err    error
}

func (c *fakeCredential) GetToken(_ context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.calls.Add(1)
	c.mu.Lock()
	c.scopes = append(c.scopes, opts.Scopes...)
	c.mu.Unlock()
	if c.err != nil {
		return azcore.AccessToken{}, c.err
	}
	return azcore.AccessToken{Token: testToken, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// startVault starts the double with the keys of testdata/: p256, p384,
// rsa2048 and their "-other" twins, one version each.
func startVault() *vaultDouble {
	v := &vaultDouble{keys: map[string]*doubleKey{}, counts: map[string]int{}, cred: &fakeCredential{}}
	for _, name := range []string{"p256", "p256-other", "p384", "p384-other", "rsa2048", "rsa2048-other"} {
		v.addVersion(name, loadKey(name))
	}
	v.srv = httptest.NewTLSServer(http.HandlerFunc(v.serve))
	return v
}

func (v *vaultDouble) Close() { v.srv.Close() }

func loadKey(name string) crypto.Signer {
	data, err := os.ReadFile(filepath.Join("testdata", name+".pem"))
	if err != nil {
		panic(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		panic("testdata/" + name + ".pem: no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		panic(err)
	}
	return k.(crypto.Signer)
}

// addVersion adds a new latest version of the named key and returns it.
func (v *vaultDouble) addVersion(name string, priv crypto.Signer) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.nextVersion++
	version := fmt.Sprintf("%032x", v.nextVersion*0x9e3779b1)
	k := v.keys[name]
	if k == nil {
		k = &doubleKey{}
		v.keys[name] = k
	}
	k.versions = append(k.versions, doubleVersion{version: version, priv: priv})
	return version
}

// addPublicKey adds a key of which the double knows only the public key: it
// describes it, but cannot sign or verify with it.
func (v *vaultDouble) addPublicKey(name string, pub crypto.PublicKey) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.nextVersion++
	version := fmt.Sprintf("%032x", v.nextVersion*0x9e3779b1)
	v.keys[name] = &doubleKey{versions: []doubleVersion{{version: version, pub: pub}}}
	return version
}

// addOctKey adds a symmetric key, which GetKey describes without material.
func (v *vaultDouble) addOctKey(name string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.nextVersion++
	v.keys[name] = &doubleKey{kty: "oct", ops: []string{"encrypt", "decrypt"},
		versions: []doubleVersion{{version: fmt.Sprintf("%032x", v.nextVersion)}}}
}

// setPolicy sets the key type GetKey reports ("" for the one of its
// material) and what it and GetKeyRotationPolicy report of the key.
func (v *vaultDouble) setPolicy(name, kty string, p doubleKeyPolicy) {
	v.mu.Lock()
	defer v.mu.Unlock()
	k := v.keys[name]
	k.kty, k.doubleKeyPolicy = kty, p
}

func (v *vaultDouble) latest(name string) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	k := v.keys[name]
	return k.versions[len(k.versions)-1].version
}

func (v *vaultDouble) inject(f ...fault) {
	v.mu.Lock()
	v.faults = append(v.faults, f...)
	v.mu.Unlock()
}

func (v *vaultDouble) count(op string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.counts[op]
}

func (v *vaultDouble) setDeterministic(on bool) {
	v.mu.Lock()
	v.deterministic = on
	v.mu.Unlock()
}

// options are the Options that point azurekv at the double: its TLS client as
// transport, the fake credential, short retry delays.
func (v *vaultDouble) options() *azurekv.Options {
	return &azurekv.Options{Credential: v.cred, Client: v.clientOptions()}
}

func (v *vaultDouble) clientOptions() *azkeys.ClientOptions {
	return &azkeys.ClientOptions{
		ClientOptions: azcore.ClientOptions{
			Transport: v.srv.Client(),
			Retry:     policy.RetryOptions{MaxRetries: 3, RetryDelay: time.Millisecond, MaxRetryDelay: time.Minute},
		},
		DisableChallengeResourceVerification: true,
	}
}

// uri is the key URI of the named key in the double, with extra attributes.
func (v *vaultDouble) uri(name string, extra ...string) string {
	s := "azurekv:vault=" + v.srv.URL + ";name=" + name
	for _, e := range extra {
		s += ";" + e
	}
	return s
}

func (v *vaultDouble) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("api-version") != apiVersion {
		writeError(w, http.StatusBadRequest, "BadParameter", "api-version must be "+apiVersion, nil)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		// The client's first request carries no token (and no body): answer
		// with the challenge that names the tenant and the resource.
		v.mu.Lock()
		v.counts["unauthenticated"]++
		v.mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"`)
		writeError(w, http.StatusUnauthorized, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", nil)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/keys/")
	if !ok {
		writeError(w, http.StatusNotFound, "NotFound", "no such resource", nil)
		return
	}
	parts := strings.Split(rest, "/")
	var op, name, version string
	switch {
	case r.Method == http.MethodGet && len(parts) == 2 && parts[1] == "rotationpolicy":
		op, name = "rotationpolicy", parts[0]
	case r.Method == http.MethodGet && len(parts) == 2:
		op, name, version = "get", parts[0], parts[1]
	case r.Method == http.MethodPost && len(parts) == 2 && (parts[1] == "sign" || parts[1] == "verify"):
		op, name = parts[1], parts[0]
	case r.Method == http.MethodPost && len(parts) == 3 && (parts[2] == "sign" || parts[2] == "verify"):
		op, name, version = parts[2], parts[0], parts[1]
	default:
		writeError(w, http.StatusBadRequest, "BadParameter", "unsupported request "+r.Method+" "+r.URL.Path, nil)
		return
	}
	v.mu.Lock()
	v.counts[op]++
	if op == "sign" {
		v.signVersions = append(v.signVersions, version)
	}
	for i, f := range v.faults {
		if f.op == "" || f.op == op {
			v.faults = append(v.faults[:i:i], v.faults[i+1:]...)
			v.mu.Unlock()
			writeError(w, f.status, f.code, "injected fault", f.headers)
			return
		}
	}
	k := v.keys[name]
	var kv *doubleVersion
	if k != nil {
		for i := range k.versions {
			if version == "" && i == len(k.versions)-1 || k.versions[i].version == version {
				kv = &k.versions[i]
			}
		}
	}
	deterministic := v.deterministic
	v.mu.Unlock()
	if kv == nil {
		writeError(w, http.StatusNotFound, "KeyNotFound", fmt.Sprintf("A key with (name/id) %s/%s was not found in this key vault.", name, version), nil)
		return
	}
	kid := "https://" + r.Host + "/keys/" + name + "/" + kv.version
	switch op {
	case "rotationpolicy":
		writeJSON(w, rotationPolicy("https://"+r.Host+"/keys/"+name+"/rotationpolicy", k))
	case "get":
		writeJSON(w, keyBundle(kid, k, kv))
	case "sign":
		var req struct{ Alg, Value string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeError(w, http.StatusBadRequest, "BadParameter", "sign body: "+err.Error(), nil)
			return
		}
		digest, err := b64.DecodeString(req.Value)
		if err != nil {
			writeError(w, http.StatusBadRequest, "BadParameter", "value is not base64url: "+err.Error(), nil)
			return
		}
		sig, status, msg := signDigest(kv.priv, req.Alg, digest, deterministic)
		if status != 0 {
			writeError(w, status, "BadParameter", msg, nil)
			return
		}
		writeJSON(w, map[string]string{"kid": kid, "value": b64.EncodeToString(sig)})
	case "verify":
		var req struct{ Alg, Digest, Value string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeError(w, http.StatusBadRequest, "BadParameter", "verify body: "+err.Error(), nil)
			return
		}
		digest, err1 := b64.DecodeString(req.Digest)
		sig, err2 := b64.DecodeString(req.Value)
		if err1 != nil || err2 != nil {
			writeError(w, http.StatusBadRequest, "BadParameter", "digest or value is not base64url", nil)
			return
		}
		ok, status, msg := verifyDigest(kv.priv, req.Alg, digest, sig)
		if status != 0 {
			writeError(w, status, "BadParameter", msg, nil)
			return
		}
		writeJSON(w, map[string]bool{"value": ok})
	}
}

func keyBundle(kid string, k *doubleKey, kv *doubleVersion) map[string]any {
	ops := k.ops
	if ops == nil {
		ops = []string{"sign", "verify"}
	}
	jwk := map[string]any{"kid": kid, "key_ops": ops}
	pub := kv.pub
	if pub == nil && kv.priv != nil {
		pub = kv.priv.Public()
	}
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		size := (p.Curve.Params().BitSize + 7) / 8
		jwk["kty"], jwk["crv"] = "EC", p.Curve.Params().Name
		point, _ := p.Bytes()
		jwk["x"], jwk["y"] = b64.EncodeToString(point[1:1+size]), b64.EncodeToString(point[1+size:])
	case *rsa.PublicKey:
		jwk["kty"] = "RSA"
		jwk["n"] = b64.EncodeToString(p.N.Bytes())
		jwk["e"] = b64.EncodeToString(big.NewInt(int64(p.E)).Bytes())
	}
	if k.kty != "" {
		jwk["kty"] = k.kty
	}
	attrs := map[string]any{
		"enabled": true, "created": 1767225600, "updated": 1767225600, "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90,
	}
	if strings.HasSuffix(k.kty, "-HSM") {
		attrs["hsmPlatform"] = "2"
	}
	if k.exportable != nil {
		attrs["exportable"] = *k.exportable
	}
	if k.expires != 0 {
		attrs["exp"] = k.expires
	}
	if k.notBefore != 0 {
		attrs["nbf"] = k.notBefore
	}
	bundle := map[string]any{"key": jwk, "attributes": attrs}
	if k.releasePolicy {
		// The policy is an attestation rule as JSON, base64url-encoded.
		bundle["release_policy"] = map[string]any{"contentType": "application/json; charset=utf-8",
			"data": b64.EncodeToString([]byte(`{"version":"1.0.0","anyOf":[{"authority":"https://attest.example.com","allOf":[{"claim":"x-ms-isolation-tee.x-ms-attestation-type","equals":"sevsnpvm"}]}]}`)), "immutable": false}
	}
	if k.managed {
		bundle["managed"] = true
	}
	return bundle
}

// rotationPolicy is a key's rotation policy as Key Vault gives it: a key
// without a policy of its own has the default, which only notifies 30 days
// before expiry.
func rotationPolicy(id string, k *doubleKey) map[string]any {
	actions := []any{map[string]any{"trigger": map[string]any{"timeBeforeExpiry": "P30D"}, "action": map[string]any{"type": "Notify"}}}
	attrs := map[string]any{}
	trigger := map[string]any{}
	if k.rotateAfter != "" {
		trigger["timeAfterCreate"] = k.rotateAfter
	}
	if k.rotateBefore != "" {
		trigger["timeBeforeExpiry"] = k.rotateBefore
	}
	if len(trigger) > 0 {
		actions = append(actions, map[string]any{"trigger": trigger, "action": map[string]any{"type": "Rotate"}})
		attrs["created"], attrs["updated"] = 1767225600, 1767225600
	}
	if k.expiryTime != "" {
		attrs["expiryTime"] = k.expiryTime
	}
	return map[string]any{"id": id, "lifetimeActions": actions, "attributes": attrs}
}

// algFor checks that alg suits the key and the digest length.
func algFor(priv crypto.Signer, alg string, digest []byte) (crypto.Hash, string) {
	var want crypto.Hash
	switch p := priv.(type) {
	case *ecdsa.PrivateKey:
		switch {
		case alg == "ES256" && p.Curve == elliptic.P256():
			want = crypto.SHA256
		case alg == "ES384" && p.Curve == elliptic.P384():
			want = crypto.SHA384
		}
	case *rsa.PrivateKey:
		if alg == "PS256" || alg == "RS256" {
			want = crypto.SHA256
		}
	}
	switch {
	case want == 0:
		return 0, "Invalid algorithm " + alg + " for this key"
	case len(digest) != want.Size():
		return 0, fmt.Sprintf("Invalid digest length %d for %s", len(digest), alg)
	}
	return want, ""
}

func signDigest(priv crypto.Signer, alg string, digest []byte, deterministic bool) ([]byte, int, string) {
	h, msg := algFor(priv, alg, digest)
	if msg != "" {
		return nil, http.StatusBadRequest, msg
	}
	switch p := priv.(type) {
	case *ecdsa.PrivateKey:
		var der []byte
		var err error
		if deterministic {
			der, err = p.Sign(nil, digest, h) // RFC 6979
		} else {
			der, err = ecdsa.SignASN1(rand.Reader, p, digest)
		}
		if err != nil {
			return nil, http.StatusInternalServerError, err.Error()
		}
		return rawSig(der, (p.Curve.Params().BitSize+7)/8), 0, ""
	case *rsa.PrivateKey:
		var sig []byte
		var err error
		if alg == "PS256" {
			sig, err = rsa.SignPSS(rand.Reader, p, h, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(nil, p, h, digest)
		}
		if err != nil {
			return nil, http.StatusInternalServerError, err.Error()
		}
		return sig, 0, ""
	}
	return nil, http.StatusBadRequest, "key cannot sign"
}

func verifyDigest(priv crypto.Signer, alg string, digest, sig []byte) (bool, int, string) {
	h, msg := algFor(priv, alg, digest)
	if msg != "" {
		return false, http.StatusBadRequest, msg
	}
	switch p := priv.(type) {
	case *ecdsa.PrivateKey:
		size := (p.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return false, http.StatusBadRequest, "Invalid signature length"
		}
		r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
		der, _ := asn1.Marshal(struct{ R, S *big.Int }{r, s})
		return ecdsa.VerifyASN1(&p.PublicKey, digest, der), 0, ""
	case *rsa.PrivateKey:
		if alg == "PS256" {
			return rsa.VerifyPSS(&p.PublicKey, h, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil, 0, ""
		}
		return rsa.VerifyPKCS1v15(&p.PublicKey, h, digest, sig) == nil, 0, ""
	}
	return false, http.StatusBadRequest, "key cannot verify"
}

// rawSig turns a DER ECDSA signature into Key Vault's r‖s.
func rawSig(der []byte, size int) []byte {
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &rs); err != nil {
		panic(err)
	}
	raw := make([]byte, 2*size)
	rs.R.FillBytes(raw[:size])
	rs.S.FillBytes(raw[size:])
	return raw
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string, headers map[string]string) {
	for k, v := range headers {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// hashMsg hashes msg as an algorithm of the backend does.
func hashMsg(h crypto.Hash, msg []byte) []byte {
	if h == crypto.SHA384 {
		d := sha512.Sum384(msg)
		return d[:]
	}
	d := sha256.Sum256(msg)
	return d[:]
}
