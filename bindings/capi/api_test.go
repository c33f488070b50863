package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
)

func mustOpen(t *testing.T, uri string) uint64 {
	t.Helper()
	h, err := openKey(uri)
	if err != nil {
		t.Fatalf("openKey(%q): %v", uri, err)
	}
	t.Cleanup(func() { _ = closeKey(h) })
	return h
}

// TestMVPKnownAnswers checks the MVP functions against the vectors made by
// the MVP's own crates (providers/hmac/testdata/mvpref).
func TestMVPKnownAnswers(t *testing.T) {
	data, err := os.ReadFile("../../providers/hmac/testdata/mvp_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct{ Seed, Key, Payload, Tag string }
	if err := json.Unmarshal(data, &vectors); err != nil {
		t.Fatal(err)
	}
	if len(vectors) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range vectors {
		seed, err := strconv.ParseUint(v.Seed, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		key := mvpKeygen(seed)
		if got := hex.EncodeToString(key[:]); got != v.Key {
			t.Errorf("keygen(%d) = %s, want %s", seed, got, v.Key)
			continue
		}
		var tag [mvpSigSize]byte
		if err := mvpSign(key[:], testenv.Hex(t, v.Payload), &tag); err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(tag[:]); got != v.Tag {
			t.Errorf("sign(keygen(%d), %s) = %s, want %s", seed, v.Payload, got, v.Tag)
		}
		if ok, err := mvpVerify(key[:], testenv.Hex(t, v.Payload), tag[:]); !ok || err != nil {
			t.Errorf("verify of a good tag: %v, %v", ok, err)
		}
	}
}

func TestMVPVerifyRejects(t *testing.T) {
	key := mvpKeygen(42)
	other := mvpKeygen(43)
	msg := []byte("hello deterministic world")
	var tag [mvpSigSize]byte
	if err := mvpSign(key[:], msg, &tag); err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(tag[:])
	flipped[31] ^= 1
	for _, tc := range []struct {
		name          string
		key, msg, sig []byte
	}{
		{"other key", other[:], msg, tag[:]},
		{"other message", key[:], []byte("hello deterministic world!"), tag[:]},
		{"flipped bit", key[:], msg, flipped},
		{"truncated", key[:], msg, tag[:31]},
		{"extended", key[:], msg, append(bytes.Clone(tag[:]), 0)},
		{"empty", key[:], msg, nil},
	} {
		ok, err := mvpVerify(tc.key, tc.msg, tc.sig)
		if ok || err != nil {
			t.Errorf("%s: verify = %v, %v; want false, nil", tc.name, ok, err)
		}
	}
}

func TestMVPWrongKeyLength(t *testing.T) {
	var tag [mvpSigSize]byte
	for _, n := range []int{0, 1, 31, 33, 64} {
		err := mvpSign(make([]byte, n), nil, &tag)
		if statusOf(err) != statusInvalidArgument || !strings.Contains(err.Error(), fmt.Sprintf("key is %d bytes", n)) {
			t.Errorf("sign with a %d-byte key: %v", n, err)
		}
		if _, err := mvpVerify(make([]byte, n), nil, tag[:]); statusOf(err) != statusInvalidArgument {
			t.Errorf("verify with a %d-byte key: %v", n, err)
		}
	}
}

// TestMVPKeyChange checks that a pooled state keyed for one key is never used
// for another.
func TestMVPKeyChange(t *testing.T) {
	msg := []byte("order")
	want := map[uint64][mvpSigSize]byte{}
	for seed := range uint64(4) {
		key := mvpKeygen(seed)
		var tag [mvpSigSize]byte
		if err := mvpSign(key[:], msg, &tag); err != nil {
			t.Fatal(err)
		}
		want[seed] = tag
	}
	for i := range 400 {
		seed := uint64(i % 4)
		key := mvpKeygen(seed)
		var tag [mvpSigSize]byte
		if err := mvpSign(key[:], msg, &tag); err != nil {
			t.Fatal(err)
		}
		if tag != want[seed] {
			t.Fatalf("call %d: tag for seed %d changed", i, seed)
		}
	}
}

func TestSignVerifyThroughHandle(t *testing.T) {
	h := mustOpen(t, "hmac:seed=42")
	msg := []byte("hello deterministic world")
	out := make([]byte, 64)
	n, err := signInto(h, msg, out)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(out[:n]), "1666c07b7d59d0acf5ee5097dd8958ffcdcdbcd336d4205e47ee8a23344db8ff"; got != want {
		t.Fatalf("sign = %s, want %s", got, want)
	}
	if err := verify(h, msg, out[:n]); err != nil {
		t.Fatalf("verify: %v", err)
	}
	out[0] ^= 1
	if err := verify(h, msg, out[:n]); statusOf(err) != statusInvalidSignature {
		t.Fatalf("verify of a bad tag: %v (status %d)", err, statusOf(err))
	}
}

func TestSignBufferTooSmall(t *testing.T) {
	h := mustOpen(t, "hmac:seed=42")
	for _, size := range []int{0, 1, 31} {
		n, err := signInto(h, []byte("x"), make([]byte, size))
		if statusOf(err) != statusBufferTooSmall || n != 32 {
			t.Errorf("%d-byte buffer: n=%d err=%v; want 32 and buffer too small", size, n, err)
		}
	}
}

func TestKeyInfoAndPublicKey(t *testing.T) {
	h := mustOpen(t, "hmac:seed=42")
	js, err := keyInfoJSON(h)
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		ID, Algorithm, Backend string
		Deterministic          *bool
	}
	if err := json.Unmarshal(js, &info); err != nil {
		t.Fatal(err)
	}
	if info.Algorithm != "HMAC-SHA256" || info.Backend != "hmac" || !strings.HasPrefix(info.ID, "hmac-") || info.Deterministic == nil || !*info.Deterministic {
		t.Errorf("key info %s", js)
	}
	if _, err := publicKeyPEM(h); statusOf(err) != statusUnsupported || !strings.Contains(err.Error(), "no public key") {
		t.Errorf("public key of an HMAC key: %v", err)
	}
}

func TestProvidersJSON(t *testing.T) {
	js, err := providersJSON()
	if err != nil {
		t.Fatal(err)
	}
	var list []backendInfo
	if err := json.Unmarshal(js, &list); err != nil {
		t.Fatal(err)
	}
	for _, b := range list {
		if b.Scheme == "hmac" && len(b.Algorithms) == 1 && b.Algorithms[0] == provider.HMACSHA256 && b.Keygen {
			return
		}
	}
	t.Fatalf("hmac missing from %s", js)
}

func TestBadHandlesAndURIs(t *testing.T) {
	h := mustOpen(t, "hmac:seed=1")
	if err := closeKey(h); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		err  error
		want status
		text string
	}{
		{"sign after close", second(signInto(h, nil, make([]byte, 32))), statusClosed, "not open"},
		{"verify after close", verify(h, nil, nil), statusClosed, "not open"},
		{"close twice", closeKey(h), statusClosed, "not open"},
		{"info after close", second(keyInfoJSON(h)), statusClosed, "not open"},
		{"handle 0", verify(0, nil, nil), statusInvalidArgument, "handle 0"},
		{"never opened", verify(1<<60, nil, nil), statusClosed, "not open"},
		{"no scheme", second(openKey("seed=42")), statusInvalidConfig, "no scheme"},
		{"unknown scheme", second(openKey("nope:seed=42")), statusInvalidConfig, "unknown scheme"},
		{"unknown attribute", second(openKey("hmac:sead=42")), statusInvalidConfig, "unknown attribute"},
		{"bad seed", second(openKey("hmac:seed=-1")), statusInvalidConfig, "seed"},
		{"not UTF-8", second(openKey("hmac:seed=\xff")), statusInvalidConfig, "UTF-8"},
	} {
		if got := statusOf(tc.err); got != tc.want || !strings.Contains(fmt.Sprint(tc.err), tc.text) {
			t.Errorf("%s: %v (status %d), want status %d saying %q", tc.name, tc.err, got, tc.want, tc.text)
		}
	}
	t.Setenv("TW_CAPI_TEST_SHORT", strings.Repeat("ab", 16))
	if _, err := openKey("hmac:key-source=env:TW_CAPI_TEST_SHORT"); statusOf(err) != statusInvalidConfig || !strings.Contains(err.Error(), "at least 32") {
		t.Errorf("short key: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

func TestStatusOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want status
	}{
		{nil, statusOK},
		{fmt.Errorf("x: %w", provider.ErrInvalidSignature), statusInvalidSignature},
		{fmt.Errorf("x: %w", provider.ErrKeyNotFound), statusKeyNotFound},
		{fmt.Errorf("x: %w", provider.ErrUnsupported), statusUnsupported},
		{fmt.Errorf("x: %w", provider.ErrUnavailable), statusUnavailable},
		{fmt.Errorf("x: %w", provider.ErrPermissionDenied), statusPermissionDenied},
		{fmt.Errorf("x: %w", provider.ErrInvalidConfig), statusInvalidConfig},
		{fmt.Errorf("%w: %w", provider.ErrClosed, provider.ErrUnavailable), statusClosed},
		{errInvalidArgument, statusInvalidArgument},
		{errBufferTooSmall, statusBufferTooSmall},
		{errInternal, statusInternal},
		{errors.New("other"), statusUnknown},
	} {
		if got := statusOf(tc.err); got != tc.want {
			t.Errorf("statusOf(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// TestExportedNullPointers calls the exported functions with NULL pointers,
// as a careless C caller would: each returns a status, never a crash.
func TestExportedNullPointers(t *testing.T) {
	if v := tw_abi_version(); v != abiVersion {
		t.Fatalf("tw_abi_version = %d", v)
	}
	for _, tc := range []struct {
		name string
		code int
		want status
	}{
		{"open with NULL handle", int(tw_open(nil, 0, nil, nil, 0)), statusInvalidArgument},
		{"sign with NULL outlen", int(tw_sign(1, nil, 0, nil, 0, nil, nil, 0)), statusInvalidArgument},
		{"verify with NULL msg and a length", int(tw_verify(1, nil, 5, nil, 0, nil, 0)), statusInvalidArgument},
		{"keygen with NULL out", int(tw_mvp_keygen(42, nil)), statusInvalidArgument},
		{"mvp sign with NULL out", int(tw_mvp_sign(nil, 0, nil, 0, nil, nil, 0)), statusInvalidArgument},
		{"mvp verify with NULL key", int(tw_mvp_verify(nil, 0, nil, 0, nil, 0, nil, 0)), statusInvalidArgument},
		{"close of handle 0", int(tw_close(0, nil, 0)), statusInvalidArgument},
		{"key info with NULL outlen", int(tw_key_info_json(0, nil, 0, nil, nil, 0)), statusInvalidArgument},
	} {
		if status(tc.code) != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, tc.code, tc.want)
		}
	}
}

// TestConcurrentUse signs, verifies, opens and closes from many goroutines at
// once; run with -race.
func TestConcurrentUse(t *testing.T) {
	shared := mustOpen(t, "hmac:seed=42")
	key := mvpKeygen(42)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := make([]byte, 32)
			msg := []byte("order " + strconv.Itoa(g))
			for range 200 {
				own, err := openKey("hmac:seed=" + strconv.Itoa(g))
				if err != nil {
					errs <- err
					return
				}
				if _, err := signInto(shared, msg, out); err != nil {
					errs <- err
					return
				}
				if err := verify(shared, msg, out); err != nil {
					errs <- err
					return
				}
				var tag [32]byte
				if err := mvpSign(key[:], msg, &tag); err != nil || !bytes.Equal(tag[:], out) {
					errs <- fmt.Errorf("mvp sign and handle sign differ: %x vs %x (%v)", tag, out, err)
					return
				}
				if err := closeKey(own); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestHotPathsAllocateNothing(t *testing.T) {
	testenv.SkipAllocations(t)
	h := mustOpen(t, "hmac:seed=42")
	key := mvpKeygen(42)
	msg := make([]byte, 1024)
	out := make([]byte, 64)
	var tag [mvpSigSize]byte
	allocs := testing.AllocsPerRun(1000, func() {
		n, _ := signInto(h, msg, out)
		_ = verify(h, msg, out[:n])
		_ = mvpSign(key[:], msg, &tag)
		_, _ = mvpVerify(key[:], msg, tag[:])
	})
	if allocs != 0 {
		t.Fatalf("sign and verify allocate %.1f times per call, want 0", allocs)
	}
}

// TestPanicsBecomeStatus checks that a panic under an exported function's
// deferred recoverTo becomes TW_ERR_INTERNAL instead of crossing into C.
func TestPanicsBecomeStatus(t *testing.T) {
	code := tw_abi_version() // a C.int, which this file cannot name
	func() {
		defer recoverTo(&code, nil, 0)
		panic("boom")
	}()
	if status(code) != statusInternal {
		t.Fatalf("status after a panic: %d, want %d", code, statusInternal)
	}
}

// TestOpenSeesLaterEnvironment checks that a variable set in the C
// environment after the library loaded (as Python's os.environ does) reaches
// an env:NAME secret source, and that one unset there is gone for Go too.
func TestOpenSeesLaterEnvironment(t *testing.T) {
	const name = "TW_CAPI_TEST_LATE_KEY"
	fake := map[string]string{name: strings.Repeat("ab", 32)}
	saved := cEnv
	cEnv = func(n string) (string, bool) { v, ok := fake[n]; return v, ok }
	t.Cleanup(func() { cEnv = saved; os.Unsetenv(name) })

	h, err := openKey("hmac:key-source=env:" + name)
	if err != nil {
		t.Fatalf("a variable set after load is not seen: %v", err)
	}
	_ = closeKey(h)
	delete(fake, name)
	if _, err := openKey("hmac:key-source=env:" + name); err == nil || !strings.Contains(err.Error(), "is not set") {
		t.Fatalf("a variable unset after load is still seen: %v", err)
	}
}

// TestCloseWaitsForCalls closes handles while other goroutines sign with
// them: every signature that succeeds is the right one. (A key closed under a
// running call could otherwise sign with a secret zeroed by Close.)
func TestCloseWaitsForCalls(t *testing.T) {
	key := mvpKeygen(9)
	msg := []byte("m")
	var want [mvpSigSize]byte
	if err := mvpSign(key[:], msg, &want); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		h, err := openKey("hmac:seed=9")
		if err != nil {
			t.Fatal(err)
		}
		var wg, started sync.WaitGroup
		bad := make(chan string, 4)
		for range 3 {
			wg.Add(1)
			started.Add(1)
			go func() {
				defer wg.Done()
				out := make([]byte, 32)
				for i := range 5000 {
					if i == 1 {
						started.Done()
					}
					n, err := signInto(h, msg, out)
					if err != nil {
						if i == 0 {
							started.Done()
						}
						if statusOf(err) != statusClosed {
							bad <- err.Error()
						}
						return
					}
					if !bytes.Equal(out[:n], want[:]) {
						bad <- fmt.Sprintf("wrong signature %x", out[:n])
						return
					}
				}
			}()
		}
		started.Wait()
		if err := closeKey(h); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		close(bad)
		for msg := range bad {
			t.Fatal(msg)
		}
	}
}
