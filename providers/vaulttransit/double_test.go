package vaulttransit_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// vaultDouble is a Vault server for the tests: an HTTP server speaking the
// Transit API (keys, rotate, sign, verify, hmac) over real keys, as
// github.com/hashicorp/vault/api expects it: JSON bodies, {"data": …}
// answers, {"errors": […]} with Vault's status codes, vault:vN: signatures,
// X-Vault-Token and X-Vault-Namespace headers. It can fail or hang on
// demand.
type vaultDouble struct {
	srv       *httptest.Server
	token     string
	namespace string // when set, requests must name it

	mu    sync.Mutex
	keys  map[string]*vaultKey // mount + "/" + name
	calls map[string]int       // sign, verify, hmac, read, create, rotate
	fault func(r *http.Request, op string) (status int, msg string)
}

type vaultKey struct {
	typ        string
	versions   []*vaultVersion
	minDecrypt int
	vaultKeyPolicy
}

// vaultKeyPolicy is what the keys endpoint reports of how a key came to be
// and whether it can leave.
type vaultKeyPolicy struct {
	exportable      bool
	plaintextBackup bool          // allow_plaintext_backup
	imported        bool          // imported_key
	autoRotate      time.Duration // auto_rotate_period
	backedUp        time.Time     // backup_info.time; zero: never backed up
	restored        time.Time     // restore_info.time; zero: never restored
	before110       bool          // answer as Vault before 1.10, which reports neither auto_rotate_period nor imported_key
}

type vaultVersion struct {
	signer crypto.Signer
	pub    crypto.PublicKey // a published key without its private key
	secret []byte
}

func (v *vaultVersion) public() crypto.PublicKey {
	if v.signer != nil {
		return v.signer.Public()
	}
	return v.pub
}

const doubleToken = "hvs.test-token-of-the-double"

func startVault() *vaultDouble {
	d := &vaultDouble{token: doubleToken, keys: map[string]*vaultKey{}, calls: map[string]int{}}
	d.srv = httptest.NewServer(http.HandlerFunc(d.serve))
	return d
}

// uri returns a key URI for a key of the double at mount transit, the
// token taken from env:TW_TEST_VAULT_TOKEN.
func (d *vaultDouble) uri(key string, attrs ...string) string {
	return "vault:addr=" + d.srv.URL + ";key=" + key + "?" + strings.Join(append([]string{"token=env:TW_TEST_VAULT_TOKEN"}, attrs...), "&")
}

func (d *vaultDouble) addKey(mount, name, typ string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := &vaultKey{typ: typ, minDecrypt: 1}
	d.keys[mount+"/"+name] = k
	k.versions = append(k.versions, newVersion(typ))
}

// addPublicKey adds a key whose one version publishes pub and holds no
// private key: the double can describe it but neither sign nor verify.
func (d *vaultDouble) addPublicKey(mount, name, typ string, pub crypto.PublicKey) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.keys[mount+"/"+name] = &vaultKey{typ: typ, minDecrypt: 1, versions: []*vaultVersion{{pub: pub}}}
}

func (d *vaultDouble) rotateKey(mount, name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := d.keys[mount+"/"+name]
	k.versions = append(k.versions, newVersion(k.typ))
}

// setPolicy sets what the keys endpoint reports of a key's provenance.
func (d *vaultDouble) setPolicy(mount, name string, p vaultKeyPolicy) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.keys[mount+"/"+name].vaultKeyPolicy = p
}

func (d *vaultDouble) setMinDecrypt(mount, name string, v int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.keys[mount+"/"+name].minDecrypt = v
}

func (d *vaultDouble) setFault(f func(r *http.Request, op string) (int, string)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.fault = f
}

func (d *vaultDouble) count(op string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[op]
}

func newVersion(typ string) *vaultVersion {
	v := &vaultVersion{}
	var err error
	switch typ {
	case "ecdsa-p256":
		v.signer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ecdsa-p384":
		v.signer, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ed25519":
		_, v.signer, err = ed25519.GenerateKey(rand.Reader)
	case "rsa-2048", "rsa-3072", "rsa-4096":
		bits, _ := strconv.Atoi(strings.TrimPrefix(typ, "rsa-"))
		v.signer, err = rsa.GenerateKey(rand.Reader, bits)
	case "hmac":
		v.secret = make([]byte, 32)
		rand.Read(v.secret)
	default:
		panic("double: no keys of type " + typ)
	}
	if err != nil {
		panic(err)
	}
	return v
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func vaultErr(w http.ResponseWriter, status int, msgs ...string) {
	if msgs == nil {
		msgs = []string{}
	}
	writeJSON(w, status, map[string]any{"errors": msgs})
}

func (d *vaultDouble) serve(w http.ResponseWriter, r *http.Request) {
	p, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok {
		vaultErr(w, 404)
		return
	}
	var mount, op, rest string
	for _, o := range []string{"keys", "sign", "verify", "hmac"} {
		if i := strings.Index(p, "/"+o+"/"); i > 0 {
			mount, op, rest = p[:i], o, p[i+len(o)+2:]
			break
		}
	}
	if op == "" {
		vaultErr(w, 404)
		return
	}
	name, suffix, _ := strings.Cut(rest, "/")
	switch {
	case op == "keys" && suffix == "rotate":
		op = "rotate"
	case op == "keys" && r.Method == http.MethodGet:
		op = "read"
	case op == "keys":
		op = "create"
	}
	d.mu.Lock()
	d.calls[op]++
	fault := d.fault
	d.mu.Unlock()
	if r.Header.Get("X-Vault-Token") != d.token {
		vaultErr(w, 403, "permission denied")
		return
	}
	if strings.TrimSuffix(r.Header.Get("X-Vault-Namespace"), "/") != strings.TrimSuffix(d.namespace, "/") {
		vaultErr(w, 403, "permission denied")
		return
	}
	if fault != nil {
		if status, msg := fault(r, op); status != 0 {
			vaultErr(w, status, msg)
			return
		}
	}
	var body map[string]any
	if r.Method != http.MethodGet {
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil && err.Error() != "EOF" {
			vaultErr(w, 400, "failed to parse JSON input: "+err.Error())
			return
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	k := d.keys[mount+"/"+name]
	switch op {
	case "create":
		if k != nil {
			writeJSON(w, 200, map[string]any{"warnings": []string{"key " + name + " already existed"}})
			return
		}
		typ, _ := body["type"].(string)
		if typ == "" {
			typ = "aes256-gcm96"
		}
		k = &vaultKey{typ: typ, minDecrypt: 1, versions: []*vaultVersion{newVersion(typ)}}
		d.keys[mount+"/"+name] = k
		writeJSON(w, 200, map[string]any{"data": d.describe(name, k)})
		return
	case "read":
		if k == nil {
			vaultErr(w, 404)
			return
		}
		writeJSON(w, 200, map[string]any{"data": d.describe(name, k)})
		return
	}
	if k == nil {
		vaultErr(w, 400, map[string]string{"sign": "signing key not found", "verify": "signature verification key not found", "hmac": "HMAC key not found", "rotate": "key not found"}[op])
		return
	}
	switch op {
	case "rotate":
		k.versions = append(k.versions, newVersion(k.typ))
		writeJSON(w, 200, map[string]any{"data": d.describe(name, k)})
	case "sign":
		d.sign(w, k, suffix, body)
	case "hmac":
		d.hmac(w, k, suffix, body)
	case "verify":
		d.verify(w, k, suffix, body)
	}
}

func (d *vaultDouble) describe(name string, k *vaultKey) map[string]any {
	versions := map[string]any{}
	for i, v := range k.versions {
		if i+1 < k.minDecrypt {
			continue
		}
		if v.public() == nil {
			versions[strconv.Itoa(i+1)] = time.Now().Unix()
			continue
		}
		var pub string
		if e, ok := v.public().(ed25519.PublicKey); ok {
			pub = base64.StdEncoding.EncodeToString(e)
		} else {
			der, _ := x509.MarshalPKIXPublicKey(v.public())
			pub = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		}
		versions[strconv.Itoa(i+1)] = map[string]any{"public_key": pub, "creation_time": time.Now().Format(time.RFC3339Nano), "name": k.typ}
	}
	out := map[string]any{
		"name": name, "type": k.typ, "latest_version": len(k.versions), "min_decryption_version": k.minDecrypt,
		"min_available_version": 0, "keys": versions, "exportable": k.exportable, "deletion_allowed": false,
		"supports_signing": k.typ != "hmac", "supports_encryption": false,
		"allow_plaintext_backup": k.plaintextBackup, "auto_rotate_period": int64(k.autoRotate.Seconds()),
		"imported_key": k.imported,
	}
	if k.imported {
		out["imported_key_allow_rotation"] = false
	}
	if !k.backedUp.IsZero() {
		out["backup_info"] = map[string]any{"time": k.backedUp.UTC().Format(time.RFC3339Nano), "version": len(k.versions)}
	}
	if !k.restored.IsZero() {
		out["restore_info"] = map[string]any{"time": k.restored.UTC().Format(time.RFC3339Nano), "version": 1}
	}
	if k.before110 {
		delete(out, "auto_rotate_period")
		delete(out, "imported_key")
		delete(out, "imported_key_allow_rotation")
	}
	return out
}

// version picks key_version (the latest when absent or 0).
func (k *vaultKey) version(body map[string]any) (int, *vaultVersion, error) {
	n := len(k.versions)
	if v, ok := body["key_version"].(json.Number); ok {
		i, err := strconv.Atoi(v.String())
		if err != nil {
			return 0, nil, err
		}
		if i != 0 {
			n = i
		}
	}
	if n < 1 || n > len(k.versions) || n < k.minDecrypt {
		return 0, nil, fmt.Errorf("requested version for signing does not exist or is below min_decryption_version")
	}
	return n, k.versions[n-1], nil
}

func str(body map[string]any, name, def string) string {
	if s, ok := body[name].(string); ok && s != "" {
		return s
	}
	return def
}

func hashOf(name string) (crypto.Hash, bool) {
	switch name {
	case "sha2-256":
		return crypto.SHA256, true
	case "sha2-384":
		return crypto.SHA384, true
	case "sha2-512":
		return crypto.SHA512, true
	}
	return 0, false
}

// prepared returns what the key signs: the message (Ed25519), the given
// digest (prehashed) or the digest of the input.
func prepared(k *vaultKey, body map[string]any, pathHash string) ([]byte, crypto.Hash, error) {
	in, err := base64.StdEncoding.DecodeString(str(body, "input", ""))
	if err != nil {
		return nil, 0, fmt.Errorf("unable to decode input as base64: %v", err)
	}
	prehashed := body["prehashed"] == true
	if k.typ == "ed25519" {
		if prehashed {
			return nil, 0, fmt.Errorf("pre-hashed input is not supported for ed25519")
		}
		return in, 0, nil
	}
	h, ok := hashOf(str(body, "hash_algorithm", pathHash))
	if !ok {
		return nil, 0, fmt.Errorf("unsupported hash algorithm")
	}
	if prehashed {
		if len(in) != h.Size() {
			return nil, 0, fmt.Errorf("input is not a %v digest", h)
		}
		return in, h, nil
	}
	hh := h.New()
	hh.Write(in)
	return hh.Sum(nil), h, nil
}

func pssOptions(body map[string]any, h crypto.Hash) (*rsa.PSSOptions, error) {
	switch s := str(body, "salt_length", "auto"); s {
	case "auto":
		return &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto, Hash: h}, nil
	case "hash":
		return &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}, nil
	default:
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("salt length %q is invalid", s)
		}
		return &rsa.PSSOptions{SaltLength: n, Hash: h}, nil
	}
}

func (d *vaultDouble) sign(w http.ResponseWriter, k *vaultKey, pathHash string, body map[string]any) {
	if k.typ == "hmac" {
		vaultErr(w, 400, "key type hmac does not support signing")
		return
	}
	n, v, err := k.version(body)
	if err != nil {
		vaultErr(w, 400, err.Error())
		return
	}
	if v.signer == nil {
		vaultErr(w, 500, "the double holds no private key for this version")
		return
	}
	input, h, err := prepared(k, body, pathHash)
	if err != nil {
		vaultErr(w, 400, err.Error())
		return
	}
	var sig []byte
	switch key := v.signer.(type) {
	case *ecdsa.PrivateKey:
		if str(body, "marshaling_algorithm", "asn1") != "asn1" {
			vaultErr(w, 400, "the double marshals asn1 only")
			return
		}
		sig, err = ecdsa.SignASN1(rand.Reader, key, input)
	case ed25519.PrivateKey:
		sig = ed25519.Sign(key, input)
	case *rsa.PrivateKey:
		switch str(body, "signature_algorithm", "pss") {
		case "pss":
			var opts *rsa.PSSOptions
			if opts, err = pssOptions(body, h); err == nil {
				sig, err = rsa.SignPSS(rand.Reader, key, h, input, opts)
			}
		case "pkcs1v15":
			sig, err = rsa.SignPKCS1v15(rand.Reader, key, h, input)
		default:
			err = fmt.Errorf("unsupported rsa signature algorithm")
		}
	}
	if err != nil {
		vaultErr(w, 400, err.Error())
		return
	}
	writeJSON(w, 200, map[string]any{"data": map[string]any{"signature": "vault:v" + strconv.Itoa(n) + ":" + base64.StdEncoding.EncodeToString(sig), "key_version": n}})
}

func (d *vaultDouble) hmac(w http.ResponseWriter, k *vaultKey, algo string, body map[string]any) {
	if k.typ != "hmac" {
		vaultErr(w, 400, "the double computes HMACs with hmac keys only")
		return
	}
	n, v, err := k.version(body)
	if err != nil {
		vaultErr(w, 400, err.Error())
		return
	}
	tag, err := hmacOf(v, algo, body)
	if err != nil {
		vaultErr(w, 400, err.Error())
		return
	}
	writeJSON(w, 200, map[string]any{"data": map[string]any{"hmac": "vault:v" + strconv.Itoa(n) + ":" + base64.StdEncoding.EncodeToString(tag)}})
}

func hmacOf(v *vaultVersion, algo string, body map[string]any) ([]byte, error) {
	if algo == "" {
		algo = str(body, "algorithm", "sha2-256")
	}
	if algo != "sha2-256" {
		return nil, fmt.Errorf("the double computes sha2-256 HMACs only")
	}
	in, err := base64.StdEncoding.DecodeString(str(body, "input", ""))
	if err != nil {
		return nil, fmt.Errorf("unable to decode input as base64: %v", err)
	}
	m := hmac.New(sha256.New, v.secret)
	m.Write(in)
	return m.Sum(nil), nil
}

// parseWire splits vault:vN:BASE64 as Vault does, with its error messages.
func parseWire(s string) (int, []byte, error) {
	rest, ok := strings.CutPrefix(s, "vault:v")
	if !ok {
		return 0, nil, fmt.Errorf("invalid signature: no prefix")
	}
	ver, b64, ok := strings.Cut(rest, ":")
	n, err := strconv.Atoi(ver)
	if !ok || err != nil {
		return 0, nil, fmt.Errorf("invalid signature: wrong number of fields")
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return 0, nil, fmt.Errorf("invalid base64 signature value")
	}
	return n, b, nil
}

func (d *vaultDouble) verify(w http.ResponseWriter, k *vaultKey, pathHash string, body map[string]any) {
	valid := false
	field := "signature"
	if k.typ == "hmac" {
		field = "hmac"
	}
	n, given, err := parseWire(str(body, field, ""))
	if err != nil {
		vaultErr(w, 400, err.Error())
		return
	}
	if n < k.minDecrypt || n > len(k.versions) {
		vaultErr(w, 400, "key version out of range")
		return
	}
	v := k.versions[n-1]
	if v.signer == nil && v.secret == nil {
		vaultErr(w, 500, "the double holds no private key for this version")
		return
	}
	if k.typ == "hmac" {
		tag, err := hmacOf(v, pathHash, body)
		if err != nil {
			vaultErr(w, 400, err.Error())
			return
		}
		writeJSON(w, 200, map[string]any{"data": map[string]any{"valid": hmac.Equal(tag, given)}})
		return
	}
	input, h, err := prepared(k, body, pathHash)
	if err != nil {
		vaultErr(w, 400, err.Error())
		return
	}
	switch pub := v.signer.Public().(type) {
	case *ecdsa.PublicKey:
		// Vault answers a signature it cannot parse with an error.
		var parsed struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(given, &parsed); err != nil {
			vaultErr(w, 400, "supplied signature is invalid")
			return
		}
		valid = ecdsa.VerifyASN1(pub, input, given)
	case ed25519.PublicKey:
		valid = ed25519.Verify(pub, input, given)
	case *rsa.PublicKey:
		switch str(body, "signature_algorithm", "pss") {
		case "pss":
			opts, err := pssOptions(body, h)
			if err != nil {
				vaultErr(w, 400, err.Error())
				return
			}
			valid = rsa.VerifyPSS(pub, h, input, given, opts) == nil
		case "pkcs1v15":
			valid = rsa.VerifyPKCS1v15(pub, h, input, given) == nil
		}
	}
	writeJSON(w, 200, map[string]any{"data": map[string]any{"valid": valid}})
}
