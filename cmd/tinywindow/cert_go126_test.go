//go:build !go1.27

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCertMLDSANeedsGo127 checks that, built with Go 1.26, ML-DSA
// certificates and engine=std are refused with exit 2, saying they need Go
// 1.27, and nothing is written.
func TestCertMLDSANeedsGo127(t *testing.T) {
	seed := writeSeed(t, 32, 3)
	for _, args := range [][]string{
		{"csr", "--signer", "pqc:seed-source=file:" + seed, "--subject", "CN=x"},
		{"cert", "--signer", "pqc:alg=ML-DSA-44;seed-source=file:" + seed, "--subject", "CN=x", "--ca"},
		{"cert", "--signer", "pqc:seed-source=file:" + seed + ";engine=std", "--subject", "CN=x"},
	} {
		out := filepath.Join(t.TempDir(), "out")
		code, _, errOut := run(t, "", append(args, "--out", out)...)
		if code != exitError || !strings.Contains(errOut, "needs Go 1.27") {
			t.Errorf("%v: exit %d, %q; want exit 2 saying it needs Go 1.27", args, code, errOut)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%v wrote %s", args, out)
		}
	}
}
