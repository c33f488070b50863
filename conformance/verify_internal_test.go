package conformance

import (
	"crypto"
	"fmt"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/internal/stdverify/stdverifytest"
	"github.com/tinywindow/tinywindow/provider"
)

// TestStdlibVerifyWycheproof judges the shared table with the verifier of the
// publickey checks, which must agree with every backend's local Verify.
func TestStdlibVerifyWycheproof(t *testing.T) {
	stdverifytest.Run(t, func(alg provider.Algorithm, pub crypto.PublicKey, msg, sig []byte) error {
		ok, skip, err := stdlibVerify(alg, pub, msg, sig)
		switch {
		case err != nil:
			return err
		case skip != "":
			return fmt.Errorf("skipped: %s", skip)
		case !ok:
			return fmt.Errorf("%w: rejected", provider.ErrInvalidSignature)
		}
		return nil
	}, stdverifytest.AllAlgorithms...)
}

func TestDeviations(t *testing.T) {
	c := Check{Name: "publickey/stdlib", Description: "the standard library verifies"}
	plain := &Subject{}
	deviant := &Subject{Deviations: map[string]string{c.Name: "the emulator signs with another salt"}}
	for _, tc := range []struct {
		name                string
		s                   *Subject
		res                 Result
		failure, skip, note string // substrings; "" means empty
	}{
		{"pass", plain, Result{Status: Pass}, "", "", ""},
		{"fail", plain, Result{Status: Fail, Reason: "rejected"}, "rejected", "", ""},
		{"skip", plain, Result{Status: Skip, Reason: "no key"}, "", "no key", ""},
		{"deviation fails as expected", deviant, Result{Status: Fail, Reason: "rejected"}, "", "", "another salt"},
		{"deviation passes", deviant, Result{Status: Pass}, "drop it from Deviations", "", ""},
		{"deviation skipped", deviant, Result{Status: Skip, Reason: "no key"}, "", "no key", ""},
	} {
		failure, skip, note := tc.s.judge(c, tc.res)
		for _, f := range []struct{ what, got, want string }{{"failure", failure, tc.failure}, {"skip", skip, tc.skip}, {"note", note, tc.note}} {
			if f.want == "" && f.got != "" || !strings.Contains(f.got, f.want) {
				t.Errorf("%s: %s = %q, want %q", tc.name, f.what, f.got, f.want)
			}
		}
	}
	if !knownCheck("publickey/crypto-signer") || knownCheck("publickey/stdlb") {
		t.Error("knownCheck does not match the suite's check names")
	}
}
