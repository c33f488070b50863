//go:build cgo && !nopkcs11

package pkcs11

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
)

// p11toolURLs runs the real p11tool (GnuTLS) against the test token and
// returns the URLs it prints for its objects, keyed by "label type".
func p11toolURLs(t *testing.T, detailed bool) map[string]string {
	t.Helper()
	tool, err := exec.LookPath("p11tool")
	if err != nil {
		testenv.Need(t, "p11tool", "install the Debian package gnutls-bin (scripts/setup.d/25-interop-tools.sh does)")
	}
	args := []string{"--provider", softhsm.module, "--login", "--list-all", "--only-urls"}
	if detailed {
		args = append(args, "--detailed-url")
	}
	cmd := exec.Command(tool, append(args, "pkcs11:token="+testToken)...)
	cmd.Env = append(os.Environ(), "GNUTLS_PIN="+testPIN)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("p11tool --list-all: %v\n%s", err, out)
	}
	urls := map[string]string{}
	for _, line := range strings.Fields(string(out)) {
		if !strings.HasPrefix(line, "pkcs11:") {
			continue
		}
		u, err := provider.ParseURI(line)
		if err != nil {
			t.Fatalf("p11tool printed %q, which ParseURI refuses: %v", line, err)
		}
		label, _ := u.Get("object")
		typ, _ := u.Get("type")
		urls[label+" "+typ] = line
	}
	if len(urls) == 0 {
		t.Fatalf("p11tool listed no object URL:\n%s", out)
	}
	return urls
}

// pasted is a URI as p11tool printed it, with the query a user adds.
func pasted(url string) string {
	return url + "?module-path=" + softhsm.module + "&pin-source=env:" + testPINEnv
}

// TestP11toolURIs pastes the URIs that p11tool --list-all prints (short and
// --detailed-url, with model, manufacturer, serial, token, id, object, type
// and the library-* attributes) and opens each private key through them: it
// is the key the test opened by token and object.
func TestP11toolURIs(t *testing.T) {
	needKeys(t)
	for _, detailed := range []bool{false, true} {
		urls := p11toolURLs(t, detailed)
		for _, object := range []string{"p256", "p384", "ed25519", "rsa"} {
			url, ok := urls[object+" private"]
			if !ok {
				t.Fatalf("p11tool printed no URL for the private key %s: %v", object, urls)
			}
			for _, attr := range []string{"model=", "manufacturer=", "serial=", "token=", "id=", "type=private"} {
				if !strings.Contains(url, attr) {
					t.Errorf("p11tool URL %s lacks %s", url, attr)
				}
			}
			if detailed && !strings.Contains(url, "library-manufacturer=") {
				t.Errorf("p11tool --detailed-url printed %s, without library-manufacturer", url)
			}
			k := testenv.MustOpen(t, pasted(url))
			if k.Info() != keyInfos[object] {
				t.Errorf("%s opened %+v, want %+v", url, k.Info(), keyInfos[object])
			}
			if _, err := k.Sign(t.Context(), []byte("m")); err != nil {
				t.Errorf("%s: Sign: %v", url, err)
			}
			// The public key's URI names an object that cannot sign.
			if pub, ok := urls[object+" public"]; ok {
				if _, err := provider.Open(t.Context(), pasted(pub)); !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "type=private") {
					t.Errorf("%s: %v, want ErrUnsupported pointing to type=private", pub, err)
				}
			}
		}
	}
}

// TestRFC7512Constraints checks each attribute as a constraint against the
// real token: agreeing attributes together open the key, and any one that
// disagrees makes Open fail with an error listing what the module has.
func TestRFC7512Constraints(t *testing.T) {
	needKeys(t)
	url := p11toolURLs(t, true)["p256 private"]
	u := provider.MustParseURI(url)
	serial, _ := u.Get("serial")
	k := testenv.MustOpen(t, keyURI("p256"))
	slot := inner(t, k).slot
	ident, err := k.(provider.Identifier).Identity(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	a := ident.Attributes
	for _, want := range []string{"library-manufacturer", "library-description", "library-version", "slot-description", "slot-manufacturer", "token", "manufacturer", "model", "serial", "firmware-version", "hardware-version"} {
		if a[want] == "" {
			t.Errorf("Identity lacks %s: %v", want, a)
		}
	}
	if a["serial"] != serial || a["token"] != testToken || a["object"] != "p256" || a["slot-id"] == "" || ident.VerifyMode != "local" {
		t.Errorf("Identity %+v does not describe the key p11tool lists as %s", ident, url)
	}
	esc := func(s string) string { return strings.ReplaceAll(s, " ", "%20") }
	all := "library-manufacturer=" + esc(a["library-manufacturer"]) + ";library-description=" + esc(a["library-description"]) +
		";library-version=" + a["library-version"] + ";slot-manufacturer=" + esc(a["slot-manufacturer"]) +
		";slot-description=" + esc(a["slot-description"]) + ";slot-id=" + a["slot-id"] + ";token=" + testToken +
		";manufacturer=" + esc(a["manufacturer"]) + ";model=" + esc(a["model"]) + ";serial=" + serial + ";object=p256;type=private"
	if k2 := testenv.MustOpen(t, pasted("pkcs11:"+all)+"&module-name=softhsm2"); k2.Info() != k.Info() || inner(t, k2).slot != slot {
		t.Fatalf("every attribute at once opened %+v", k2.Info())
	}
	if k2 := testenv.MustOpen(t, pasted("pkcs11:token="+testToken+";serial="+serial+";slot-id="+a["slot-id"]+";object=p256")); k2.Info() != k.Info() {
		t.Fatalf("token, serial and slot-id together opened %+v", k2.Info())
	}
	for _, tc := range []struct {
		name, uri string
		want      error
		msg       string
	}{
		{"library-manufacturer", "pkcs11:library-manufacturer=OpenSC;token=" + testToken + ";object=p256", provider.ErrKeyNotFound, `library-manufacturer="` + a["library-manufacturer"] + `"`},
		{"library-description", "pkcs11:library-description=other;token=" + testToken + ";object=p256", provider.ErrKeyNotFound, "does not match"},
		{"library-version", "pkcs11:library-version=99.1;token=" + testToken + ";object=p256", provider.ErrKeyNotFound, "library-version=" + a["library-version"]},
		{"slot-manufacturer", "pkcs11:slot-manufacturer=Thales;token=" + testToken + ";object=p256", provider.ErrKeyNotFound, `token="` + otherToken + `"`},
		{"slot-description", "pkcs11:slot-description=other;token=" + testToken + ";object=p256", provider.ErrKeyNotFound, `serial="` + serial + `"`},
		{"manufacturer", "pkcs11:manufacturer=Thales;token=" + testToken + ";object=p256", provider.ErrKeyNotFound, "it has the tokens"},
		{"model", "pkcs11:model=Luna;token=" + testToken + ";object=p256", provider.ErrKeyNotFound, `model="SoftHSM v2"`},
		{"serial of another token", "pkcs11:token=" + testToken + ";serial=0000000000000000;object=p256", provider.ErrKeyNotFound, `serial="` + serial + `"`},
		{"two tokens match", "pkcs11:model=SoftHSM%20v2;object=p256", provider.ErrInvalidConfig, "2 tokens match"},
		{"no token attribute, two tokens", "pkcs11:object=p256", provider.ErrInvalidConfig, `token="` + otherToken + `"`},
		{"type=secret-key of a private key", "pkcs11:token=" + testToken + ";object=p256;type=secret-key", provider.ErrKeyNotFound, "{object=\"p256\""},
		{"type=private of a secret key", "pkcs11:token=" + testToken + ";object=hmac;type=private", provider.ErrKeyNotFound, "type=secret-key"},
		{"object not there", "pkcs11:token=" + testToken + ";object=nope", provider.ErrKeyNotFound, `{object="rsa-other" id=%`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := provider.Open(t.Context(), pasted(tc.uri))
			if err == nil {
				k.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Open: %v\nwant an error matching %v saying %q", err, tc.want, tc.msg)
			}
		})
	}
	if k2 := testenv.MustOpen(t, pasted("pkcs11:token="+testToken+";object=hmac;type=secret-key")); k2.Info() != keyInfos["hmac"] {
		t.Errorf("type=secret-key opened %+v", k2.Info())
	}
}

// TestAmbiguousObject makes two keys with one label (p11tool, as a user
// would) and checks that naming them by label alone is refused with both
// listed, and that id= then picks one.
func TestAmbiguousObject(t *testing.T) {
	needKeys(t)
	tool, err := exec.LookPath("p11tool")
	if err != nil {
		testenv.Need(t, "p11tool", "install the Debian package gnutls-bin (scripts/setup.d/25-interop-tools.sh does)")
	}
	// A label of its own: the token outlives one run under -count=N.
	var rnd [4]byte
	rand.Read(rnd[:])
	label := "twin-" + hex.EncodeToString(rnd[:])
	for _, id := range []string{"a1", "a2"} {
		cmd := exec.Command(tool, "--provider", softhsm.module, "--login", "--generate-privkey=ecdsa", "--curve=secp256r1",
			"--label", label, "--id", id, "pkcs11:token="+testToken)
		cmd.Env = append(os.Environ(), "GNUTLS_PIN="+testPIN)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("p11tool --generate-privkey: %v\n%s", err, out)
		}
	}
	_, err = provider.Open(t.Context(), keyURI(label))
	if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), "2 keys match") ||
		!strings.Contains(err.Error(), `{object="`+label+`" id=%A1 type=private}`) || !strings.Contains(err.Error(), `{object="`+label+`" id=%A2 type=private}`) {
		t.Fatalf("two keys labelled %s: %v", label, err)
	}
	k1 := testenv.MustOpen(t, pasted("pkcs11:token="+testToken+";object="+label+";id=%a1"))
	k2 := testenv.MustOpen(t, pasted("pkcs11:token="+testToken+";object="+label+";id=%A2"))
	if k1.Info().ID == k2.Info().ID {
		t.Fatal("id= did not pick two different keys")
	}
}
