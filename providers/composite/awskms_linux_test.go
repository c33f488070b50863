package composite_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/awskms"
	"github.com/tinywindow/tinywindow/providers/composite"
)

const kmsRegion = "eu-west-2"

var kms struct {
	once     sync.Once
	endpoint string
	missing  string
	err      error
}

var kmsStarted = regexp.MustCompile(`Local KMS started on [0-9.]+:([0-9]+)`)
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// needKMS starts a local-kms of the tests' own on a free loopback port,
// with test-only AWS credentials, and creates two P-384 keys through
// Generate as `tinywindow keygen` does.
func needKMS(t testing.TB) {
	t.Helper()
	kms.once.Do(func() {
		bin := os.Getenv("TW_LOCAL_KMS")
		if bin == "" {
			if p, err := exec.LookPath("local-kms"); err == nil {
				bin = p
			}
		}
		if bin == "" {
			kms.missing = "TW_LOCAL_KMS is unset and local-kms is not on PATH"
			return
		}
		dir, err := os.MkdirTemp("", "tw-composite-kms-")
		if err != nil {
			kms.err = err
			return
		}
		atExit(func() { os.RemoveAll(dir) })
		empty := filepath.Join(dir, "aws-empty")
		if err := os.WriteFile(empty, nil, 0o600); err != nil {
			kms.err = err
			return
		}
		for k, v := range map[string]string{
			"AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty,
			"AWS_ACCESS_KEY_ID": "AKIDTINYWINDOWTEST", "AWS_SECRET_ACCESS_KEY": "local-kms-does-not-check-signatures",
			"AWS_EC2_METADATA_DISABLED": "true",
		} {
			os.Setenv(k, v)
		}
		for _, k := range []string{"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KMS"} {
			os.Unsetenv(k)
		}
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), "PORT=0", "KMS_REGION="+kmsRegion, "KMS_ACCOUNT_ID=111122223333",
			"KMS_DATA_PATH="+filepath.Join(dir, "data"), "KMS_SEED_PATH="+filepath.Join(dir, "none.yaml"))
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		pr, pw := io.Pipe()
		cmd.Stdout, cmd.Stderr = pw, pw
		if err := cmd.Start(); err != nil {
			kms.err = err
			return
		}
		atExit(func() { cmd.Process.Kill(); cmd.Wait() })
		port := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(pr)
			for sc.Scan() {
				if m := kmsStarted.FindStringSubmatch(ansi.ReplaceAllString(sc.Text(), "")); m != nil {
					select {
					case port <- m[1]:
					default:
					}
				}
			}
			io.Copy(io.Discard, pr)
		}()
		select {
		case p := <-port:
			kms.endpoint = "http://127.0.0.1:" + p
		case <-time.After(30 * time.Second):
			kms.err = fmt.Errorf("local-kms did not log its port within 30s")
			return
		}
		for _, name := range []string{"p384", "p384-other"} {
			if _, err := provider.Generate(t.Context(), kmsURI(name), provider.GenerateRequest{Algorithm: provider.ECDSAP384SHA384}); err != nil {
				kms.err = fmt.Errorf("keygen %s: %w", name, err)
				return
			}
		}
	})
	if kms.err != nil {
		t.Fatal(kms.err)
	}
	if kms.missing != "" {
		testenv.Need(t, "local-kms ("+kms.missing+")", "run `source scripts/setup.d/40-local-kms.sh` from the repository root")
	}
}

func kmsURI(name string) string {
	return fmt.Sprintf("awskms:key-id=alias/tw-composite-%s;region=%s?endpoint=%s", name, kmsRegion, kms.endpoint)
}

// TestConformanceAWSKMS runs the shared suite on MLDSA87-ECDSA-P384-SHA512
// with the classical key in local-kms and the ML-DSA key in pqc.
func TestConformanceAWSKMS(t *testing.T) {
	needKMS(t)
	alg := composite.MLDSA87ECDSAP384SHA512
	conformance.Test(t, conformance.Subject{
		Open:            conformance.OpenURI(composite.URI(alg, pqURI(t, provider.MLDSA87, 21), kmsURI("p384"))),
		Other:           conformance.OpenURI(composite.URI(alg, pqURI(t, provider.MLDSA87, 22), kmsURI("p384-other"))),
		Goroutines:      8,
		OpsPerGoroutine: 4,
	})
}

// BenchmarkAWSKMS: MLDSA87-ECDSA-P384-SHA512, P-384 in local-kms.
func BenchmarkAWSKMS(b *testing.B) {
	needKMS(b)
	benchPaired(b, composite.URI(composite.MLDSA87ECDSAP384SHA512, pqURI(b, provider.MLDSA87, 44), kmsURI("p384")))
}
