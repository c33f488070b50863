package config

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/provider"
)

func TestResolveSigner(t *testing.T) {
	cfg, err := Parse([]byte(`
signer: "pkcs11:token=prod;object=orders"
backends:
  pkcs11:
    module-path: /usr/lib/softhsm/libsofthsm2.so
    pin-source: env:TW_PIN
  hmac:
    unused: x
`))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(SignerEnv, "")
	u, err := ResolveSigner("", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.String(), "pkcs11:token=prod;object=orders?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:TW_PIN"; got != want {
		t.Errorf("from config: %s, want %s", got, want)
	}
	t.Setenv(SignerEnv, "pkcs11:token=env;object=x?pin-source=file:/p")
	u, _ = ResolveSigner("", cfg)
	if got, want := u.String(), "pkcs11:token=env;object=x?pin-source=file:/p&module-path=/usr/lib/softhsm/libsofthsm2.so"; got != want {
		t.Errorf("environment over config: %s, want %s", got, want)
	}
	u, _ = ResolveSigner("hmac:seed=1", cfg)
	if got := u.String(); got != "hmac:seed=1?unused=x" {
		t.Errorf("flag over environment: %s", got)
	}
	u, _ = ResolveSigner("hmac:seed=1", nil)
	if got := u.String(); got != "hmac:seed=1" {
		t.Errorf("flag without config: %s", got)
	}
	t.Setenv(SignerEnv, "")
	if _, err := ResolveSigner("", nil); !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), "--signer") {
		t.Errorf("no signer anywhere: %v", err)
	}
	t.Setenv(SignerEnv, "bad uri")
	if _, err := ResolveSigner("", cfg); !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), SignerEnv) {
		t.Errorf("bad URI in the environment: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"signer: [1, 2]", "cannot unmarshal"},
		{"signr: hmac:seed=1", "not found"},
		{"signer: nonsense", "no scheme"},
		{"backends:\n  BAD: {a: b}", "not a URI scheme"},
		{"backends:\n  hmac: {Bad_Name: b}", "option"},
		{"signer: 'hmac:seed=1'\n\tfoo", "yaml"},
	} {
		_, err := Parse([]byte(tc.yaml))
		if err == nil {
			t.Errorf("Parse(%q) succeeded", tc.yaml)
			continue
		}
		if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q): %v; want provider.ErrInvalidConfig saying %q", tc.yaml, err, tc.want)
		}
	}
	if c, err := Parse(nil); err != nil || c.Signer != "" {
		t.Errorf("empty config: %+v, %v", c, err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "tinywindow.yaml")
	os.WriteFile(p, []byte("signer: hmac:seed=42\n"), 0o644)
	c, err := Load(p)
	if err != nil || c.Signer != "hmac:seed=42" {
		t.Fatalf("Load: %+v, %v", c, err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(dir, "big.yaml")
	os.WriteFile(big, make([]byte, MaxSize+1), 0o644)
	if _, err := Load(big); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("oversized file: %v", err)
	}
}

// FuzzParse checks that Parse never panics and that every error
// it returns is provider.ErrInvalidConfig.
func FuzzParse(f *testing.F) {
	f.Add([]byte("signer: hmac:seed=42\n"))
	f.Add([]byte("signer: \"pkcs11:token=a;object=b\"\nbackends:\n  pkcs11:\n    module-path: /x\n"))
	f.Add([]byte("backends: {hmac: {a: b}}"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			if !errors.Is(err, provider.ErrInvalidConfig) {
				t.Fatalf("error %v is not provider.ErrInvalidConfig", err)
			}
			return
		}
		if c.Signer != "" {
			if _, err := ResolveSigner("", c); err != nil && os.Getenv(SignerEnv) == "" {
				t.Fatalf("accepted config's signer does not resolve: %v", err)
			}
		}
	})
}

// TestLoadSpecialFiles: a named pipe, a device, a socket or a directory as
// the configuration file is refused at once, never waited on.
func TestLoadSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, tc := range []struct{ path, want string }{
		{fifo, "named pipe"},
		{os.DevNull, "character device"},
		{sock, "socket"},
		{dir, "directory"},
	} {
		done := make(chan error, 1)
		go func() {
			_, err := Load(tc.path)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load(%s): %v; want ErrInvalidConfig saying %q", tc.path, err, tc.want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("Load(%s) is still waiting after 30s", tc.path)
		}
	}
}
