package cloudkey_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tinywindow/tinywindow/internal/cloudkey"
	"github.com/tinywindow/tinywindow/provider"
)

// hmacService is a MACService that computes HMAC-SHA256 in the process, as
// a service would, and can be told to misbehave.
type hmacService struct {
	key     []byte
	tagSize int   // the size of the tags it returns; 0: 32
	err     error // returned by both calls when set
	calls   atomic.Int32
}

func (s *hmacService) MAC(_ context.Context, msg []byte) ([]byte, error) {
	s.calls.Add(1)
	if s.err != nil {
		return nil, s.err
	}
	m := hmac.New(sha256.New, s.key)
	m.Write(msg)
	tag := m.Sum(nil)
	if s.tagSize != 0 {
		tag = tag[:s.tagSize]
	}
	return tag, nil
}

func (s *hmacService) VerifyMAC(ctx context.Context, msg, tag []byte) (bool, error) {
	want, err := s.MAC(ctx, msg)
	if err != nil {
		return false, err
	}
	return hmac.Equal(want, tag), nil
}

func newKey(svc cloudkey.MACService, release func() error) *cloudkey.MACKey {
	h := cloudkey.NewHandle("testkms", "alias/x", provider.KeyInfo{ID: "id", Algorithm: provider.HMACSHA256, Backend: "testkms"}, release)
	k := cloudkey.NewMACKey(h, svc, "GenerateMac", "VerifyMac")
	return &k
}

func TestMACKey(t *testing.T) {
	outage := &provider.OpError{Backend: "testkms", Op: "GenerateMac", Key: "alias/x", Kind: provider.ErrUnavailable, Err: errors.New("connection refused")}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	msg := []byte("order 1")
	good, _ := (&hmacService{key: []byte("k")}).MAC(context.Background(), msg)
	tests := []struct {
		name      string
		svc       *hmacService
		ctx       context.Context
		close     bool
		tag       []byte // for Verify; nil: verify the tag Sign made
		signKind  error  // nil: Sign succeeds
		verifyErr error  // nil: Verify succeeds
		msgPart   string // a part of Sign's or else Verify's error message
		calls     int32  // service calls made by Sign and Verify together
	}{
		{name: "good", svc: &hmacService{key: []byte("k")}, calls: 2},
		{name: "wrong tag", svc: &hmacService{key: []byte("k")}, tag: make([]byte, 32), verifyErr: provider.ErrInvalidSignature,
			msgPart: "testkms VerifyMac alias/x: invalid signature", calls: 2},
		{name: "short tag, no call", svc: &hmacService{key: []byte("k")}, tag: good[:31], verifyErr: provider.ErrInvalidSignature,
			msgPart: "tag is 31 bytes, want 32", calls: 1},
		{name: "service returns a short tag", svc: &hmacService{key: []byte("k"), tagSize: 16}, tag: good, signKind: provider.ErrUnavailable, verifyErr: provider.ErrInvalidSignature,
			msgPart: "testkms GenerateMac alias/x: backend unavailable: the service returned a 16-byte tag, want 32", calls: 2},
		{name: "outage", svc: &hmacService{key: []byte("k"), err: outage}, tag: good, signKind: provider.ErrUnavailable, verifyErr: provider.ErrUnavailable,
			msgPart: "connection refused", calls: 2},
		{name: "context done", svc: &hmacService{key: []byte("k")}, ctx: done, tag: good, signKind: provider.ErrUnavailable, verifyErr: provider.ErrUnavailable,
			msgPart: "testkms alias/x: backend unavailable: context canceled", calls: 0},
		{name: "closed", svc: &hmacService{key: []byte("k")}, close: true, tag: good, signKind: provider.ErrClosed, verifyErr: provider.ErrClosed,
			msgPart: "testkms alias/x: key is closed", calls: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			k := newKey(tt.svc, nil)
			if tt.close {
				k.Close()
			}
			tag, signErr := k.Sign(ctx, msg)
			if tt.signKind == nil && signErr != nil || tt.signKind != nil && !errors.Is(signErr, tt.signKind) {
				t.Fatalf("Sign: %v; want kind %v", signErr, tt.signKind)
			}
			if errors.Is(signErr, provider.ErrInvalidSignature) {
				t.Fatalf("Sign error %v matches ErrInvalidSignature", signErr)
			}
			if tt.tag != nil {
				tag = tt.tag
			}
			verifyErr := k.Verify(ctx, msg, tag)
			if tt.verifyErr == nil && verifyErr != nil || tt.verifyErr != nil && !errors.Is(verifyErr, tt.verifyErr) {
				t.Fatalf("Verify: %v; want %v", verifyErr, tt.verifyErr)
			}
			if tt.verifyErr != provider.ErrInvalidSignature && errors.Is(verifyErr, provider.ErrInvalidSignature) {
				t.Fatalf("Verify error %v matches ErrInvalidSignature", verifyErr)
			}
			msgErr := signErr
			if msgErr == nil {
				msgErr = verifyErr
			}
			if tt.msgPart != "" && (msgErr == nil || !strings.Contains(msgErr.Error(), tt.msgPart)) {
				t.Errorf("error %v does not contain %q", msgErr, tt.msgPart)
			}
			if got := tt.svc.calls.Load(); got != tt.calls {
				t.Errorf("%d service calls, want %d", got, tt.calls)
			}
		})
	}
}

func TestMACKeySignAppend(t *testing.T) {
	k := newKey(&hmacService{key: []byte("k")}, nil)
	dst := []byte("prefix")
	out, err := k.SignAppend(context.Background(), dst, []byte("m"))
	if err != nil || len(out) != len(dst)+cloudkey.MACSize || string(out[:len(dst)]) != "prefix" {
		t.Fatalf("SignAppend = %q, %v", out, err)
	}
	if !k.Deterministic() {
		t.Error("Deterministic() = false")
	}
	if got := k.Info().Algorithm; got != provider.HMACSHA256 {
		t.Errorf("Info().Algorithm = %v", got)
	}
}

// TestHandleCloseReleasesOnce: Close calls release once however often and
// from however many goroutines it is called, and returns its error once.
func TestHandleCloseReleasesOnce(t *testing.T) {
	var released atomic.Int32
	errRelease := errors.New("release failed")
	h := cloudkey.NewHandle("testkms", "k", provider.KeyInfo{}, func() error { released.Add(1); return errRelease })
	errs := make(chan error, 16)
	for range 16 {
		go func() { errs <- h.Close() }()
	}
	failed := 0
	for range 16 {
		if err := <-errs; err != nil {
			failed++
		}
	}
	if released.Load() != 1 || failed != 1 {
		t.Fatalf("release called %d times, %d Close calls failed; want 1 and 1", released.Load(), failed)
	}
	if !h.Closed() || !errors.Is(h.Check(context.Background()), provider.ErrClosed) {
		t.Fatal("handle not closed after Close")
	}
}

func TestPublicKeyPEM(t *testing.T) {
	h := cloudkey.NewHandle("testkms", "k", provider.KeyInfo{}, nil)
	der := []byte{0x30, 0x03, 0x02, 0x01, 0x01}
	out, err := cloudkey.PublicKeyPEM(h, der)
	if block, _ := pem.Decode(out); err != nil || block == nil || block.Type != "PUBLIC KEY" || !bytes.Equal(block.Bytes, der) {
		t.Fatalf("PublicKeyPEM = %q, %v", out, err)
	}
	h.Close()
	if _, err := cloudkey.PublicKeyPEM(h, der); !errors.Is(err, provider.ErrClosed) {
		t.Fatalf("PublicKeyPEM after Close: %v, want ErrClosed", err)
	}
}
