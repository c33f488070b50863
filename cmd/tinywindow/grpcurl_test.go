package main

import (
	"encoding/base64"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

// grpcurlPath returns the grpcurl that scripts/setup.d/70-service-tools.sh built
// (TW_GRPCURL), or one on PATH.
func grpcurlPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TW_GRPCURL"); p != "" {
		return p
	}
	if p, err := exec.LookPath("grpcurl"); err == nil {
		return p
	}
	testenv.Need(t, "grpcurl", "run scripts/setup.d/70-service-tools.sh (or go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4) and set TW_GRPCURL")
	return ""
}

// TestServeGrpcurl drives `tinywindow serve` with grpcurl, a gRPC client
// nobody here wrote, over mutual TLS and without the proto files: server
// reflection lists the services and methods and lets grpcurl call Sign, and
// the standard health service answers. A client certificate is still
// required, and a certificate not in clients may list but not sign.
func TestServeGrpcurl(t *testing.T) {
	grpcurl := grpcurlPath(t)
	bin := buildBinary(t)
	ca := servicetest.NewCA(t, "serve test CA")
	trader := ca.Client(t, "trader")
	stranger := ca.Client(t, "stranger")
	cfgPath := filepath.Join(t.TempDir(), "service.yaml")
	os.WriteFile(cfgPath, []byte(serveConfig(t, ca, "  orders: hmac:seed=42\n")), 0o644)
	s := startServe(t, bin, cfgPath)

	call := func(c *servicetest.Cert, args ...string) (string, error) {
		full := []string{"-cacert", ca.CertFile}
		if c != nil {
			full = append(full, "-cert", c.CertFile, "-key", c.KeyFile)
		}
		// Flags come before the address, the verb after it.
		var flags, rest []string
		for i, a := range args {
			if a == "ADDR" {
				flags, rest = args[:i], args[i+1:]
			}
		}
		full = append(append(append(full, flags...), s.addr), rest...)
		out, err := exec.Command(grpcurl, full...).CombinedOutput()
		t.Logf("grpcurl %s\n%s", strings.Join(full, " "), out)
		return string(out), err
	}
	tag, _ := hex.DecodeString(tag42)
	for _, tc := range []struct {
		name   string
		client *servicetest.Cert
		args   []string
		want   []string // substrings of the output, or of the error output
		fails  bool
	}{
		{"list", &trader, []string{"ADDR", "list"}, []string{
			"grpc.health.v1.Health\ngrpc.reflection.v1.ServerReflection\ngrpc.reflection.v1alpha.ServerReflection\ntinywindow.signer.v1.Signer\n"}, false},
		{"list methods", &trader, []string{"ADDR", "list", "tinywindow.signer.v1.Signer"}, []string{
			"tinywindow.signer.v1.Signer.Kill\ntinywindow.signer.v1.Signer.ListKeys\ntinywindow.signer.v1.Signer.PublicKey\ntinywindow.signer.v1.Signer.Resume\ntinywindow.signer.v1.Signer.Sign\ntinywindow.signer.v1.Signer.SignAck\ntinywindow.signer.v1.Signer.SignCheckpoint\ntinywindow.signer.v1.Signer.SignDigest\ntinywindow.signer.v1.Signer.SignOrder\ntinywindow.signer.v1.Signer.Verify\n"}, false},
		{"describe", &trader, []string{"ADDR", "describe", "tinywindow.signer.v1.SignRequest"}, []string{"bytes message = "}, false},
		{"health", &trader, []string{"-d", `{"service":"tinywindow.signer.v1.Signer"}`, "ADDR", "grpc.health.v1.Health/Check"}, []string{`"status": "SERVING"`}, false},
		{"ListKeys", &trader, []string{"ADDR", "tinywindow.signer.v1.Signer/ListKeys"}, []string{`"name": "orders"`, `"backend": "hmac"`}, false},
		{"Sign", &trader, []string{"-d", `{"key":"orders","message":"` + base64.StdEncoding.EncodeToString([]byte(hello)) + `"}`, "ADDR", "tinywindow.signer.v1.Signer/Sign"},
			[]string{`"signature": "` + base64.StdEncoding.EncodeToString(tag) + `"`}, false},
		{"stranger lists", &stranger, []string{"ADDR", "list"}, []string{"tinywindow.signer.v1.Signer\n"}, false},
		{"stranger health", &stranger, []string{"ADDR", "grpc.health.v1.Health/Check"}, []string{`"status": "SERVING"`}, false},
		{"stranger signs", &stranger, []string{"-d", `{"key":"orders","message":"eA=="}`, "ADDR", "tinywindow.signer.v1.Signer/Sign"}, []string{"PermissionDenied", "not in clients"}, true},
		{"no client certificate", nil, []string{"ADDR", "list"}, []string{"Failed to"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := call(tc.client, tc.args...)
			if (err != nil) != tc.fails {
				t.Errorf("grpcurl: %v, want failure %v\n%s", err, tc.fails, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("grpcurl output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
