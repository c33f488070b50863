package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/internal/ectest"
	"github.com/tinywindow/tinywindow/providers/composite"
)

// TestCompositeSigner runs demo, sign, verify and pubkey with a composite
// signer (ML-DSA-65 in pqc, P-256 in the ectest backend), named by nested
// URIs and by a config file's keys: map.
func TestCompositeSigner(t *testing.T) {
	t.Setenv("TINYWINDOW_SIGNER", "")
	ectest.Register()
	dir := t.TempDir()
	seed := filepath.Join(dir, "pq.seed")
	if err := os.WriteFile(seed, []byte(strings.Repeat("5a", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pq := "pqc:alg=ML-DSA-65;seed-source=file:" + seed
	uri := composite.URI(composite.MLDSA65ECDSAP256SHA512, pq, "ectest:seed=orders")

	if code, out, errOut := run(t, "", "demo", "--signer", uri, "--orders", "300"); code != 0 || !strings.Contains(out, "MLDSA65-ECDSA-P256-SHA512, composite backend") {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}

	cfg := filepath.Join(dir, "tw.yaml")
	text := fmt.Sprintf("keys:\n  orders-pq: %q\n  orders-ec: \"ectest:seed=orders\"\nsigner: \"composite:alg=MLDSA65-ECDSA-P256-SHA512;pq=orders-pq;trad=orders-ec\"\n", pq)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, sig, errOut := run(t, "order 1", "sign", "--config", cfg)
	if code != 0 {
		t.Fatalf("sign --config: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run(t, "order 1", "verify", "--signer", uri, "--sig", strings.TrimSpace(sig)); code != 0 {
		t.Fatalf("verify with nested URIs of a config-made signature: exit %d: %s", code, errOut)
	}
	if code, _, _ := run(t, "order 2", "verify", "--signer", uri, "--sig", strings.TrimSpace(sig)); code != 1 {
		t.Fatalf("verify of another message: exit %d, want 1", code)
	}
	code, pemOut, errOut := run(t, "", "pubkey", "--config", cfg)
	if code != 0 || !strings.HasPrefix(pemOut, "-----BEGIN PUBLIC KEY-----") {
		t.Fatalf("pubkey: exit %d: %s", code, errOut)
	}
	pub := filepath.Join(dir, "orders.pub.pem")
	os.WriteFile(pub, []byte(pemOut), 0o644)
	if code, _, errOut := run(t, "order 1", "verify", "--signer", "composite:pub-source=file:"+pub, "--sig", strings.TrimSpace(sig)); code != 0 {
		t.Fatalf("verify with the exported public key: exit %d: %s", code, errOut)
	}
}
