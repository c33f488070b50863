package gcpkms_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"hash/crc32"
	"net"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/kms/apiv1/kmspb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// kmsDouble is a Cloud KMS for the tests: an in-process gRPC server that
// implements kmspb.KeyManagementServiceServer over real keys (Go's crypto
// and providers/pqc), as Google suggests for testing clients of its gRPC
// APIs. The real client library talks to it over loopback TCP. It checks
// every request's CRC32C as Cloud KMS does, and can fail, hang or corrupt
// answers on demand.
type kmsDouble struct {
	kmspb.UnimplementedKeyManagementServiceServer
	addr string

	mu      sync.Mutex
	rings   map[string]bool
	keys    map[string]*doubleKey
	calls   map[string]int
	noCRC   int                                            // requests that came without a CRC32C
	fault   func(ctx context.Context, method string) error // run before each call
	corrupt func(method string, resp any)                  // run on each answer
	book    map[string][]byte                              // mu -> message, for _EXTERNAL_MU versions
}

type doubleKey struct {
	purpose  kmspb.CryptoKey_CryptoKeyPurpose
	alg      kmspb.CryptoKeyVersion_CryptoKeyVersionAlgorithm
	versions []*doubleVersion
	created  time.Time
}

type doubleVersion struct {
	name   string
	state  kmspb.CryptoKeyVersion_CryptoKeyVersionState
	signer crypto.Signer // ECDSA, RSA, Ed25519
	pq     *pqc.Key      // ML-DSA
	secret []byte        // HMAC
	pem    string
	raw    []byte // ML-DSA public key

	// How the material came to be, as GetCryptoKeyVersion reports it.
	protection  kmspb.ProtectionLevel
	created     time.Time
	importJob   string // set: imported through this job, at created
	externalURI string // for EXTERNAL: the key in the external key manager
}

// startDouble starts a double on a loopback port; stop ends it.
func startDouble() (d *kmsDouble, stop func()) {
	d = &kmsDouble{rings: map[string]bool{}, keys: map[string]*doubleKey{}, calls: map[string]int{}, book: map[string][]byte{}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	d.addr = lis.Addr().String()
	s := grpc.NewServer(grpc.UnaryInterceptor(d.intercept))
	kmspb.RegisterKeyManagementServiceServer(s, d)
	go s.Serve(lis)
	return d, s.Stop
}

// uri returns the key URI of a key of the double, with extra query
// attributes.
func (d *kmsDouble) uri(key string, query ...string) string {
	return "gcpkms:key=" + key + "?" + strings.Join(append([]string{"endpoint=http://" + d.addr}, query...), "&")
}

const testRing = "projects/tw-test/locations/europe-west2/keyRings/orders"

// addKey creates a key with one enabled version and returns its name.
func (d *kmsDouble) addKey(id string, alg kmspb.CryptoKeyVersion_CryptoKeyVersionAlgorithm) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rings[testRing] = true
	name := testRing + "/cryptoKeys/" + id
	purpose := kmspb.CryptoKey_ASYMMETRIC_SIGN
	if alg == kmspb.CryptoKeyVersion_HMAC_SHA256 {
		purpose = kmspb.CryptoKey_MAC
	}
	k := &doubleKey{purpose: purpose, alg: alg, created: time.Now()}
	d.keys[name] = k
	d.newVersionLocked(name, k)
	return name
}

// addPublicKey creates a key whose one version publishes pub and holds no
// private key: the double can give its public key but cannot sign with it.
func (d *kmsDouble) addPublicKey(id string, alg kmspb.CryptoKeyVersion_CryptoKeyVersionAlgorithm, pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rings[testRing] = true
	name := testRing + "/cryptoKeys/" + id
	d.keys[name] = &doubleKey{purpose: kmspb.CryptoKey_ASYMMETRIC_SIGN, alg: alg, created: time.Now(), versions: []*doubleVersion{{
		name: name + "/cryptoKeyVersions/1", state: kmspb.CryptoKeyVersion_ENABLED,
		pem:        string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		protection: kmspb.ProtectionLevel_SOFTWARE, created: time.Now(),
	}}}
	return name
}

// addVersion adds an enabled version to a key (rotation) and returns its name.
func (d *kmsDouble) addVersion(key string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.newVersionLocked(key, d.keys[key]).name
}

func (d *kmsDouble) setState(version string, st kmspb.CryptoKeyVersion_CryptoKeyVersionState) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if v := d.versionLocked(version); v != nil {
		v.state = st
	}
}

// setProvenance changes how a version's material came to be: its
// protection level, the import job that brought it in ("" for material
// Cloud KMS generated), and for EXTERNAL levels the external key's URI.
func (d *kmsDouble) setProvenance(version string, level kmspb.ProtectionLevel, importJob, externalURI string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if v := d.versionLocked(version); v != nil {
		v.protection, v.importJob, v.externalURI = level, importJob, externalURI
	}
}

func (d *kmsDouble) newVersionLocked(key string, k *doubleKey) *doubleVersion {
	v := &doubleVersion{name: key + "/cryptoKeyVersions/" + strconv.Itoa(len(k.versions)+1), state: kmspb.CryptoKeyVersion_ENABLED,
		protection: kmspb.ProtectionLevel_SOFTWARE, created: time.Now()}
	var err error
	switch k.alg {
	case kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256:
		v.signer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case kmspb.CryptoKeyVersion_EC_SIGN_P384_SHA384:
		v.signer, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case kmspb.CryptoKeyVersion_RSA_SIGN_PSS_2048_SHA256, kmspb.CryptoKeyVersion_RSA_SIGN_PKCS1_2048_SHA256:
		v.signer, err = rsa.GenerateKey(rand.Reader, 2048)
	case kmspb.CryptoKeyVersion_RSA_SIGN_PSS_3072_SHA256, kmspb.CryptoKeyVersion_RSA_SIGN_PKCS1_3072_SHA256:
		v.signer, err = rsa.GenerateKey(rand.Reader, 3072)
	case kmspb.CryptoKeyVersion_EC_SIGN_ED25519:
		_, v.signer, err = ed25519.GenerateKey(rand.Reader)
	case kmspb.CryptoKeyVersion_HMAC_SHA256:
		v.secret = make([]byte, 32)
		rand.Read(v.secret)
	default:
		alg, ok := pqAlg(k.alg)
		if !ok {
			panic(fmt.Sprintf("double: no keys of %s", k.alg))
		}
		seed := make([]byte, 32)
		rand.Read(seed)
		if v.pq, err = pqc.NewFromSeed(seed, pqc.Options{Algorithm: alg}); err == nil {
			v.raw = v.pq.PublicKeyBytes()
		}
	}
	if err != nil {
		panic(err)
	}
	if v.signer != nil {
		der, err := x509.MarshalPKIXPublicKey(v.signer.Public())
		if err != nil {
			panic(err)
		}
		v.pem = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	k.versions = append(k.versions, v)
	return v
}

func pqAlg(a kmspb.CryptoKeyVersion_CryptoKeyVersionAlgorithm) (provider.Algorithm, bool) {
	switch a {
	case kmspb.CryptoKeyVersion_PQ_SIGN_ML_DSA_44, kmspb.CryptoKeyVersion_PQ_SIGN_ML_DSA_44_EXTERNAL_MU:
		return provider.MLDSA44, true
	case kmspb.CryptoKeyVersion_PQ_SIGN_ML_DSA_65, kmspb.CryptoKeyVersion_PQ_SIGN_ML_DSA_65_EXTERNAL_MU:
		return provider.MLDSA65, true
	case kmspb.CryptoKeyVersion_PQ_SIGN_ML_DSA_87, kmspb.CryptoKeyVersion_PQ_SIGN_ML_DSA_87_EXTERNAL_MU:
		return provider.MLDSA87, true
	}
	return "", false
}

func externalMuAlg(a kmspb.CryptoKeyVersion_CryptoKeyVersionAlgorithm) bool {
	return strings.HasSuffix(a.String(), "_EXTERNAL_MU")
}

// allow records messages the double will sign through their mu: it cannot
// sign a mu itself, so it looks the message up.
func (d *kmsDouble) allow(pk []byte, msgs ...[]byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, m := range msgs {
		d.book[string(testMu(pk, m))] = m
	}
}

// testMu is the test's own computation of FIPS 204's mu (empty context).
func testMu(pk, msg []byte) []byte {
	tr := sha3.SumSHAKE256(pk, 64)
	return sha3.SumSHAKE256(append(append(tr, 0, 0), msg...), 64)
}

func (d *kmsDouble) setFault(f func(ctx context.Context, method string) error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.fault = f
}

func (d *kmsDouble) setCorrupt(f func(method string, resp any)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.corrupt = f
}

func (d *kmsDouble) count(method string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[method]
}

func (d *kmsDouble) missingCRC() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.noCRC
}

func (d *kmsDouble) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	m := path.Base(info.FullMethod)
	d.mu.Lock()
	d.calls[m]++
	fault, corrupt := d.fault, d.corrupt
	d.mu.Unlock()
	if fault != nil {
		if err := fault(ctx, m); err != nil {
			return nil, err
		}
	}
	resp, err := handler(ctx, req)
	if err == nil && corrupt != nil {
		corrupt(m, resp)
	}
	return resp, err
}

func (d *kmsDouble) versionLocked(name string) *doubleVersion {
	key, _, ok := strings.Cut(name, "/cryptoKeyVersions/")
	if !ok {
		return nil
	}
	k := d.keys[key]
	if k == nil {
		return nil
	}
	for _, v := range k.versions {
		if v.name == name {
			return v
		}
	}
	return nil
}

func (d *kmsDouble) version(name string) (*doubleVersion, *doubleKey, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v := d.versionLocked(name)
	if v == nil {
		return nil, nil, status.Errorf(codes.NotFound, "CryptoKeyVersion %s not found.", name)
	}
	key, _, _ := strings.Cut(name, "/cryptoKeyVersions/")
	return v, d.keys[key], nil
}

func (d *kmsDouble) usable(name string) (*doubleVersion, *doubleKey, error) {
	v, k, err := d.version(name)
	if err != nil {
		return nil, nil, err
	}
	if v.state != kmspb.CryptoKeyVersion_ENABLED {
		return nil, nil, status.Errorf(codes.FailedPrecondition, "%s is not enabled, current state is: %s.", name, v.state)
	}
	return v, k, nil
}

func crc(b []byte) *wrapperspb.Int64Value {
	return wrapperspb.Int64(int64(crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))))
}

// checkCRC answers as Cloud KMS does when a request's checksum does not
// match what it carries; a missing checksum is counted.
func (d *kmsDouble) checkCRC(b []byte, sum *wrapperspb.Int64Value, field string) (bool, error) {
	if sum == nil {
		d.mu.Lock()
		d.noCRC++
		d.mu.Unlock()
		return false, nil
	}
	if sum.GetValue() != crc(b).GetValue() {
		return false, status.Errorf(codes.InvalidArgument, "The checksum in field %s did not match the data in field %s.", field+"_crc32c", field)
	}
	return true, nil
}

// pb describes a version as Cloud KMS does: generate_time only for
// material it generated, import_job and import_time for imported material,
// an attestation for HSM versions, external_protection_level_options for
// EXTERNAL and EXTERNAL_VPC versions.
func (d *kmsDouble) pb(name string, v *doubleVersion, k *doubleKey) *kmspb.CryptoKeyVersion {
	out := &kmspb.CryptoKeyVersion{Name: name, State: v.state, Algorithm: k.alg, ProtectionLevel: v.protection, CreateTime: timestamppb.New(v.created)}
	if v.protection == kmspb.ProtectionLevel_HSM {
		// The HSM's signed statement about the key; the double's bytes are
		// not a real one.
		out.Attestation = &kmspb.KeyOperationAttestation{Format: kmspb.KeyOperationAttestation_CAVIUM_V2_COMPRESSED, Content: []byte("attestation of " + name)}
	}
	switch {
	case v.importJob != "":
		out.ImportJob, out.ImportTime = v.importJob, timestamppb.New(v.created)
	case v.protection == kmspb.ProtectionLevel_EXTERNAL || v.protection == kmspb.ProtectionLevel_EXTERNAL_VPC:
		out.ExternalProtectionLevelOptions = &kmspb.ExternalProtectionLevelOptions{ExternalKeyUri: v.externalURI}
	default:
		out.GenerateTime = timestamppb.New(v.created)
	}
	return out
}

// GetCryptoKey describes a key as Cloud KMS does. The double holds only
// ASYMMETRIC_SIGN and MAC keys, which have no primary version and never a
// rotation_period or next_rotation_time (only ENCRYPT_DECRYPT keys rotate by
// schedule).
func (d *kmsDouble) GetCryptoKey(_ context.Context, req *kmspb.GetCryptoKeyRequest) (*kmspb.CryptoKey, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := d.keys[req.GetName()]
	if k == nil {
		return nil, status.Errorf(codes.NotFound, "CryptoKey %s not found.", req.GetName())
	}
	out := &kmspb.CryptoKey{Name: req.GetName(), Purpose: k.purpose, CreateTime: timestamppb.New(k.created),
		VersionTemplate: &kmspb.CryptoKeyVersionTemplate{Algorithm: k.alg, ProtectionLevel: kmspb.ProtectionLevel_SOFTWARE}}
	return out, nil
}

func (d *kmsDouble) GetCryptoKeyVersion(_ context.Context, req *kmspb.GetCryptoKeyVersionRequest) (*kmspb.CryptoKeyVersion, error) {
	v, k, err := d.version(req.GetName())
	if err != nil {
		return nil, err
	}
	return d.pb(v.name, v, k), nil
}

func (d *kmsDouble) ListCryptoKeyVersions(_ context.Context, req *kmspb.ListCryptoKeyVersionsRequest) (*kmspb.ListCryptoKeyVersionsResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := d.keys[req.GetParent()]
	if k == nil {
		return nil, status.Errorf(codes.NotFound, "CryptoKey %s not found.", req.GetParent())
	}
	if f := req.GetFilter(); f != "" && f != "state=ENABLED" {
		return nil, status.Errorf(codes.InvalidArgument, "the double knows no filter %q", f)
	}
	out := &kmspb.ListCryptoKeyVersionsResponse{}
	for _, v := range k.versions {
		if req.GetFilter() == "" || v.state == kmspb.CryptoKeyVersion_ENABLED {
			out.CryptoKeyVersions = append(out.CryptoKeyVersions, d.pb(v.name, v, k))
		}
	}
	out.TotalSize = int32(len(out.CryptoKeyVersions))
	return out, nil
}

func (d *kmsDouble) GetPublicKey(_ context.Context, req *kmspb.GetPublicKeyRequest) (*kmspb.PublicKey, error) {
	v, k, err := d.usable(req.GetName())
	if err != nil {
		return nil, err
	}
	if k.purpose != kmspb.CryptoKey_ASYMMETRIC_SIGN {
		return nil, status.Errorf(codes.FailedPrecondition, "%s has no public key.", req.GetName())
	}
	out := &kmspb.PublicKey{Name: v.name, Algorithm: k.alg, ProtectionLevel: kmspb.ProtectionLevel_SOFTWARE}
	if v.pq != nil {
		if req.GetPublicKeyFormat() != kmspb.PublicKey_NIST_PQC {
			return nil, status.Errorf(codes.InvalidArgument, "public_key_format must be NIST_PQC for %s", k.alg)
		}
		out.PublicKeyFormat = kmspb.PublicKey_NIST_PQC
		out.PublicKey = &kmspb.ChecksummedData{Data: v.raw, Crc32CChecksum: crc(v.raw)}
		return out, nil
	}
	out.Pem, out.PemCrc32C = v.pem, crc([]byte(v.pem))
	return out, nil
}

func (d *kmsDouble) AsymmetricSign(ctx context.Context, req *kmspb.AsymmetricSignRequest) (*kmspb.AsymmetricSignResponse, error) {
	v, k, err := d.usable(req.GetName())
	if err != nil {
		return nil, err
	}
	if k.purpose != kmspb.CryptoKey_ASYMMETRIC_SIGN {
		return nil, status.Errorf(codes.FailedPrecondition, "%s is not an ASYMMETRIC_SIGN key.", req.GetName())
	}
	out := &kmspb.AsymmetricSignResponse{Name: v.name, ProtectionLevel: kmspb.ProtectionLevel_SOFTWARE}
	var sig []byte
	switch dg := req.GetDigest(); {
	case dg != nil:
		if req.GetData() != nil {
			return nil, status.Error(codes.InvalidArgument, "only one of digest and data may be set")
		}
		var digest []byte
		var h crypto.Hash
		switch x := dg.GetDigest().(type) {
		case *kmspb.Digest_Sha256:
			digest, h = x.Sha256, crypto.SHA256
		case *kmspb.Digest_Sha384:
			digest, h = x.Sha384, crypto.SHA384
		}
		want := crypto.SHA256
		if k.alg == kmspb.CryptoKeyVersion_EC_SIGN_P384_SHA384 {
			want = crypto.SHA384
		}
		if v.signer == nil || k.alg == kmspb.CryptoKeyVersion_EC_SIGN_ED25519 || h != want || len(digest) != h.Size() {
			return nil, status.Errorf(codes.InvalidArgument, "digest of type %T does not fit %s", dg.GetDigest(), k.alg)
		}
		if out.VerifiedDigestCrc32C, err = d.checkCRC(digest, req.GetDigestCrc32C(), "digest"); err != nil {
			return nil, err
		}
		var opts crypto.SignerOpts = h
		if strings.HasPrefix(k.alg.String(), "RSA_SIGN_PSS") {
			opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
		}
		sig, err = v.signer.Sign(rand.Reader, digest, opts)
	default:
		data := req.GetData()
		if len(data) > 64<<10 {
			return nil, status.Error(codes.InvalidArgument, "data is larger than 65536 bytes")
		}
		if out.VerifiedDataCrc32C, err = d.checkCRC(data, req.GetDataCrc32C(), "data"); err != nil {
			return nil, err
		}
		switch {
		case k.alg == kmspb.CryptoKeyVersion_EC_SIGN_ED25519:
			sig, err = v.signer.Sign(rand.Reader, data, crypto.Hash(0))
		case v.pq != nil && externalMuAlg(k.alg):
			d.mu.Lock()
			msg, ok := d.book[string(data)]
			d.mu.Unlock()
			if len(data) != 64 || !ok {
				return nil, status.Errorf(codes.InvalidArgument, "the double signs only the mu of messages the test allowed (%d bytes given)", len(data))
			}
			sig, err = v.pq.Sign(ctx, msg)
		case v.pq != nil:
			sig, err = v.pq.Sign(ctx, data)
		default:
			return nil, status.Errorf(codes.InvalidArgument, "%s signs digests; set digest", k.alg)
		}
	}
	if err != nil {
		return nil, status.Errorf(codes.Internal, "signing: %v", err)
	}
	out.Signature, out.SignatureCrc32C = sig, crc(sig)
	return out, nil
}

func (d *kmsDouble) macOf(name string, data []byte) (*doubleVersion, []byte, error) {
	v, k, err := d.usable(name)
	if err != nil {
		return nil, nil, err
	}
	if k.purpose != kmspb.CryptoKey_MAC {
		return nil, nil, status.Errorf(codes.FailedPrecondition, "%s is not a MAC key.", name)
	}
	if len(data) > 64<<10 {
		return nil, nil, status.Error(codes.InvalidArgument, "data is larger than 65536 bytes")
	}
	m := hmac.New(sha256.New, v.secret)
	m.Write(data)
	return v, m.Sum(nil), nil
}

func (d *kmsDouble) MacSign(_ context.Context, req *kmspb.MacSignRequest) (*kmspb.MacSignResponse, error) {
	v, tag, err := d.macOf(req.GetName(), req.GetData())
	if err != nil {
		return nil, err
	}
	out := &kmspb.MacSignResponse{Name: v.name, Mac: tag, MacCrc32C: crc(tag), ProtectionLevel: kmspb.ProtectionLevel_SOFTWARE}
	if out.VerifiedDataCrc32C, err = d.checkCRC(req.GetData(), req.GetDataCrc32C(), "data"); err != nil {
		return nil, err
	}
	return out, nil
}

func (d *kmsDouble) MacVerify(_ context.Context, req *kmspb.MacVerifyRequest) (*kmspb.MacVerifyResponse, error) {
	v, tag, err := d.macOf(req.GetName(), req.GetData())
	if err != nil {
		return nil, err
	}
	out := &kmspb.MacVerifyResponse{Name: v.name, ProtectionLevel: kmspb.ProtectionLevel_SOFTWARE}
	if out.VerifiedDataCrc32C, err = d.checkCRC(req.GetData(), req.GetDataCrc32C(), "data"); err != nil {
		return nil, err
	}
	if out.VerifiedMacCrc32C, err = d.checkCRC(req.GetMac(), req.GetMacCrc32C(), "mac"); err != nil {
		return nil, err
	}
	out.Success = hmac.Equal(tag, req.GetMac())
	out.VerifiedSuccessIntegrity = out.Success
	return out, nil
}

func (d *kmsDouble) CreateCryptoKey(_ context.Context, req *kmspb.CreateCryptoKeyRequest) (*kmspb.CryptoKey, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.rings[req.GetParent()] {
		return nil, status.Errorf(codes.NotFound, "KeyRing %s not found.", req.GetParent())
	}
	name := req.GetParent() + "/cryptoKeys/" + req.GetCryptoKeyId()
	if d.keys[name] != nil {
		return nil, status.Errorf(codes.AlreadyExists, "CryptoKey %s already exists.", name)
	}
	ck := req.GetCryptoKey()
	k := &doubleKey{purpose: ck.GetPurpose(), alg: ck.GetVersionTemplate().GetAlgorithm(), created: time.Now()}
	d.keys[name] = k
	d.newVersionLocked(name, k)
	return &kmspb.CryptoKey{Name: name, Purpose: k.purpose, VersionTemplate: ck.GetVersionTemplate(), Labels: ck.GetLabels()}, nil
}
