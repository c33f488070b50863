package remote_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/pem"
)

// TestServiceVerifiesWithPublicKey configures the service with a key that is
// only a public key (pem:pub-source=, a file of mode 0644) of a key that signs
// elsewhere: the service's Verify judges that key's signatures with it, valid
// and altered, a remote handle to it verifies and refuses to sign, and the
// service refuses to sign with it.
func TestServiceVerifiesWithPublicKey(t *testing.T) {
	ctx := context.Background()
	signer, err := provider.Open(ctx, "ectest:seed=1")
	if err != nil {
		t.Fatal(err)
	}
	defer signer.Close()
	pemPub, err := signer.(provider.PublicKeyPEMer).PublicKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(t.TempDir(), "orders.pub.pem")
	if err := os.WriteFile(pub, pemPub, 0o644); err != nil {
		t.Fatal(err)
	}
	f := start(t, map[string]string{"orders-pub": "pem:pub-source=file:" + pub})
	msg := []byte("order 1")
	sig, err := signer.Sign(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(sig)
	bad[len(bad)/2] ^= 1

	cl := signerpb.NewSignerClient(rawConn(t, f))
	for _, tc := range []struct {
		name string
		msg  []byte
		sig  []byte
		want bool
	}{
		{"valid", msg, sig, true},
		{"altered signature", msg, bad, false},
		{"other message", []byte("order 2"), sig, false},
	} {
		resp, err := cl.Verify(ctx, &signerpb.VerifyRequest{Key: "orders-pub", Message: tc.msg, Signature: tc.sig})
		if err != nil || resp.GetValid() != tc.want {
			t.Errorf("%s: the service's Verify with the public key says %v (%v), want %v", tc.name, resp.GetValid(), err, tc.want)
		}
	}
	if _, err := cl.Sign(ctx, &signerpb.SignRequest{Key: "orders-pub", Message: msg}); err == nil {
		t.Error("the service signed with a public key")
	}

	k, err := provider.Open(ctx, f.uri("orders-pub", f.trader))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if k.Info().ID != signer.Info().ID {
		t.Errorf("the public key's ID %s, the signer's %s", k.Info().ID, signer.Info().ID)
	}
	if err := k.Verify(ctx, msg, sig); err != nil {
		t.Errorf("remote verify with the public key: %v", err)
	}
	if err := k.Verify(ctx, msg, bad); !errors.Is(err, provider.ErrInvalidSignature) {
		t.Errorf("remote verify of an altered signature: %v", err)
	}
	if _, err := k.Sign(ctx, msg); !errors.Is(err, provider.ErrUnsupported) {
		t.Errorf("remote sign with a public key: %v, want ErrUnsupported", err)
	}
}
