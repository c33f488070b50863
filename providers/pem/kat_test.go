package pem_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"os"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
)

// rfc8032Test1 is RFC 8032, section 7.1, TEST 1: the secret key
// 9d61b1...7f60 (in testdata as PKCS#8 PEM), its public key and the signature
// of the empty message.
const (
	rfc8032Test1Pub = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
	rfc8032Test1Sig = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)

func TestRFC8032KnownAnswer(t *testing.T) {
	data, err := os.ReadFile("testdata/rfc8032-test1.pem")
	if err != nil {
		t.Fatal(err)
	}
	k := testenv.MustOpen(t, "pem:key-source=file:"+writeKeyFile(t, "k.pem", data))
	sig, err := k.Sign(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(sig); got != rfc8032Test1Sig {
		t.Fatalf("signature of the empty message:\n%s\nwant\n%s", got, rfc8032Test1Sig)
	}
	if got := hex.EncodeToString(k.(provider.PublicKeyer).Public().(ed25519.PublicKey)); got != rfc8032Test1Pub {
		t.Fatalf("public key %s, want %s", got, rfc8032Test1Pub)
	}
}
