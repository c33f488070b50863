package awskms_test

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// The region and account local-kms is started with.
const (
	testRegion  = "eu-west-2"
	testAccount = "111122223333"
)

// seedKey is one key of the seed file local-kms starts with.
type seedKey struct {
	name  string // alias/NAME
	id    string
	kind  string // Ecc, Rsa or Hmac
	pem   string // testdata file of an Ecc or Rsa key
	hmacK string // hex backing key of an Hmac key
}

// The seeded keys: two of each kind the conformance suite runs on, one HMAC
// key holding the MVP's key for seed 42, and spares that tests disable or
// point aliases at.
var seedKeys = []seedKey{
	{name: "tw-p256-a", id: "00000000-0000-4000-8000-000000000001", kind: "Ecc", pem: "p256-a.pem"},
	{name: "tw-p256-b", id: "00000000-0000-4000-8000-000000000002", kind: "Ecc", pem: "p256-b.pem"},
	{name: "tw-p384-a", id: "00000000-0000-4000-8000-000000000003", kind: "Ecc", pem: "p384-a.pem"},
	{name: "tw-p384-b", id: "00000000-0000-4000-8000-000000000004", kind: "Ecc", pem: "p384-b.pem"},
	{name: "tw-rsa2048-a", id: "00000000-0000-4000-8000-000000000005", kind: "Rsa", pem: "rsa2048-a.pem"},
	{name: "tw-rsa2048-b", id: "00000000-0000-4000-8000-000000000006", kind: "Rsa", pem: "rsa2048-b.pem"},
	{name: "tw-hmac-mvp42", id: "00000000-0000-4000-8000-000000000007", kind: "Hmac", hmacK: mvpKeyHex(42)},
	{name: "tw-hmac-b", id: "00000000-0000-4000-8000-000000000008", kind: "Hmac", hmacK: "testdata/hmac-b.hex"},
	{name: "tw-disabled", id: "00000000-0000-4000-8000-000000000009", kind: "Ecc", pem: "p256-b.pem"},
	{name: "tw-rotating", id: "00000000-0000-4000-8000-000000000001", kind: "Ecc"}, // alias only; tests move it
}

func mvpKeyHex(seed uint64) string {
	k := hmac.Keygen(seed)
	return hex.EncodeToString(k[:])
}

// localKMS is a running local-kms process.
type localKMS struct {
	Endpoint string
	cmd      *exec.Cmd
	done     chan struct{}
	stopOnce sync.Once
	tail     *lineTail
}

// shared is the instance the package's tests share, started by the first
// test that needs it and stopped by TestMain; whyMissing says why it could
// not be started.
var (
	shared     *localKMS
	whyMissing string
	startErr   error
	startOnce  sync.Once
	tempDir    string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var err error
	if tempDir, err = os.MkdirTemp("", "awskms-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tempDir)
	if err := isolateAWSEnv(tempDir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if shared != nil {
			shared.Stop()
		}
	}()
	return m.Run()
}

// isolateAWSEnv points the SDK's default chain at test-only credentials and
// config files, so that no test reads the machine's AWS set-up or asks IMDS.
// AWS_CA_BUNDLE is left as the environment has it: the SDK's own HTTP client
// must cope with it.
func isolateAWSEnv(dir string) error {
	cfg := filepath.Join(dir, "aws-config")
	creds := filepath.Join(dir, "aws-credentials")
	if err := os.WriteFile(cfg, []byte("[profile tw-test]\nregion = "+testRegion+"\n\n[profile tw-noregion]\n"), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(creds, []byte("[tw-test]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n\n[tw-noregion]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n"), 0o600); err != nil {
		return err
	}
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE":             cfg,
		"AWS_SHARED_CREDENTIALS_FILE": creds,
		"AWS_ACCESS_KEY_ID":           "AKIDTINYWINDOWTEST",
		"AWS_SECRET_ACCESS_KEY":       "local-kms-does-not-check-signatures",
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		os.Setenv(k, v)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KMS", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
		os.Unsetenv(k)
	}
	return nil
}

// findLocalKMS looks for the local-kms binary: $TW_LOCAL_KMS (set by
// scripts/setup.d/40-local-kms.sh), the repository's .tools/bin, then PATH.
func findLocalKMS() (string, string) {
	if p := os.Getenv("TW_LOCAL_KMS"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Sprintf("TW_LOCAL_KMS=%s: %v", p, err)
		}
		return p, ""
	}
	if p, err := filepath.Abs("../../.tools/bin/local-kms"); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p, ""
		}
	}
	if p, err := exec.LookPath("local-kms"); err == nil {
		return p, ""
	}
	return "", "local-kms not found in $TW_LOCAL_KMS, .tools/bin or PATH"
}

const howToGetLocalKMS = "run `source scripts/setup.d/40-local-kms.sh` from the repository root (it builds local-kms into .tools/bin with go install and exports TW_LOCAL_KMS)"

// needKMS returns the shared local-kms, or ends the test when it is missing
// (a skip locally, a failure under CI).
func needKMS(t testing.TB) *localKMS {
	t.Helper()
	startOnce.Do(func() {
		bin, why := findLocalKMS()
		if bin == "" {
			whyMissing = why
			return
		}
		shared, startErr = startLocalKMS(bin, filepath.Join(tempDir, "shared"))
	})
	if startErr != nil {
		t.Fatalf("starting local-kms: %v", startErr)
	}
	if shared == nil {
		testenv.Need(t, "local-kms ("+whyMissing+")", howToGetLocalKMS)
	}
	return shared
}

// newPrivateKMS starts an instance of local-kms of the test's own, which the
// test may stop; it is stopped at the end of the test in any case.
func newPrivateKMS(t testing.TB) *localKMS {
	t.Helper()
	bin, why := findLocalKMS()
	if bin == "" {
		testenv.Need(t, "local-kms ("+why+")", howToGetLocalKMS)
	}
	l, err := startLocalKMS(bin, t.TempDir())
	if err != nil {
		t.Fatalf("starting local-kms: %v", err)
	}
	t.Cleanup(l.Stop)
	return l
}

var startedLine = regexp.MustCompile(`Local KMS started on [0-9.]+:([0-9]+)`)
var ansiCodes = regexp.MustCompile("\x1b\\[[0-9;]*m")

// startLocalKMS starts local-kms on a free port (PORT=0) with a fresh data
// folder under dir and the test seed, waits for the line naming its port,
// and checks with DescribeKey that every seeded key is there (local-kms
// skips a whole seed file that holds one bad key, and starts anyway).
func startLocalKMS(bin, dir string) (*localKMS, error) {
	seedPath := filepath.Join(dir, "seed.yaml")
	seed, err := seedYAML()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(seedPath, seed, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	// local-kms is a Go program: run as the tests may be, under
	// GODEBUG=fips140=on, it would sign RSA-PSS with a salt as long as the
	// hash (FIPS 186-5) instead of its usual longest salt. The emulator runs
	// as it does anywhere else, whatever the mode of the code under test.
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "GODEBUG=") || strings.HasPrefix(kv, "GOFIPS140=")
	})
	cmd.Env = append(env,
		"PORT=0",
		"KMS_REGION="+testRegion,
		"KMS_ACCOUNT_ID="+testAccount,
		"KMS_DATA_PATH="+filepath.Join(dir, "data"),
		"KMS_SEED_PATH="+seedPath,
	)
	dieWithParent(cmd)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	l := &localKMS{cmd: cmd, done: make(chan struct{}), tail: &lineTail{}}
	go func() {
		cmd.Wait()
		pw.Close()
		close(l.done)
	}()
	port := make(chan string, 1)
	go func() {
		// Drain the log for as long as the process lives, so it never
		// blocks on a full pipe; keep its last lines for diagnostics.
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := ansiCodes.ReplaceAllString(sc.Text(), "")
			l.tail.add(line)
			if m := startedLine.FindStringSubmatch(line); m != nil {
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
		l.Endpoint = "http://127.0.0.1:" + p
	case <-l.done:
		return nil, fmt.Errorf("local-kms exited before it started listening; its log:\n%s", l.tail)
	case <-time.After(30 * time.Second):
		l.Stop()
		return nil, fmt.Errorf("local-kms did not log its port within 30s; its log:\n%s", l.tail)
	}
	if err := l.checkSeeded(); err != nil {
		l.Stop()
		return nil, err
	}
	return l, nil
}

// Stop ends the process and waits for it. It is idempotent.
func (l *localKMS) Stop() {
	l.stopOnce.Do(func() {
		l.cmd.Process.Signal(os.Interrupt)
		select {
		case <-l.done:
		case <-time.After(5 * time.Second):
			l.cmd.Process.Kill()
			<-l.done
		}
	})
}

// Client returns a raw SDK client for the instance, for set-up steps and
// baselines.
func (l *localKMS) Client() *kms.Client {
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(testRegion))
	if err != nil {
		panic(err)
	}
	return kms.NewFromConfig(cfg, func(o *kms.Options) { o.BaseEndpoint = aws.String(l.Endpoint) })
}

// URI returns the awskms URI of a key of the instance, with extra query
// attributes.
func (l *localKMS) URI(keyID string, query ...string) string {
	return "awskms:key-id=" + keyID + ";region=" + testRegion + "?endpoint=" + l.Endpoint + strings.Join(append([]string{""}, query...), "&")
}

func (l *localKMS) checkSeeded() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := l.Client()
	for _, k := range seedKeys {
		for _, id := range []string{k.id, "alias/" + k.name} {
			if _, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)}); err != nil {
				return fmt.Errorf("seeded key %s is missing from local-kms (a bad key makes it skip the whole seed file): %w; its log:\n%s", id, err, l.tail)
			}
		}
	}
	return nil
}

// seedYAML writes the seed file: ECC keys as SEC1 "EC PRIVATE KEY", RSA keys
// as PKCS #8, HMAC keys as hex backing keys.
func seedYAML() ([]byte, error) {
	var ecc, rsa, hm, aliases strings.Builder
	for _, k := range seedKeys {
		aliases.WriteString(fmt.Sprintf("  - AliasName: alias/%s\n    TargetKeyId: %s\n", k.name, k.id))
		if k.name == "tw-rotating" {
			continue
		}
		switch k.kind {
		case "Ecc", "Rsa":
			b, err := os.ReadFile(filepath.Join("testdata", k.pem))
			if err != nil {
				return nil, err
			}
			block, _ := pem.Decode(b)
			if block == nil {
				return nil, fmt.Errorf("testdata/%s holds no PEM block", k.pem)
			}
			if k.kind == "Ecc" {
				if _, err := x509.ParseECPrivateKey(block.Bytes); err != nil || block.Type != "EC PRIVATE KEY" {
					return nil, fmt.Errorf("testdata/%s is not a SEC1 EC PRIVATE KEY: %v", k.pem, err)
				}
			} else if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err != nil || block.Type != "PRIVATE KEY" {
				return nil, fmt.Errorf("testdata/%s is not a PKCS #8 PRIVATE KEY: %v", k.pem, err)
			}
			out := &ecc
			if k.kind == "Rsa" {
				out = &rsa
			}
			fmt.Fprintf(out, "      - Metadata:\n          KeyId: %s\n          KeyUsage: SIGN_VERIFY\n          Description: %s\n        PrivateKeyPem: |\n", k.id, k.name)
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				fmt.Fprintf(out, "          %s\n", line)
			}
		case "Hmac":
			key := k.hmacK
			if strings.HasPrefix(key, "testdata/") {
				b, err := os.ReadFile(key)
				if err != nil {
					return nil, err
				}
				key = strings.TrimSpace(string(b))
			}
			fmt.Fprintf(&hm, "      - Metadata:\n          KeyId: %s\n          KeyUsage: GENERATE_VERIFY_MAC\n          KeySpec: HMAC_256\n          Description: %s\n        BackingKeys:\n          - %s\n", k.id, k.name, key)
		}
	}
	return []byte("Keys:\n  Symmetric:\n    Hmac:\n" + hm.String() +
		"  Asymmetric:\n    Ecc:\n" + ecc.String() + "    Rsa:\n" + rsa.String() +
		"Aliases:\n" + aliases.String()), nil
}

// lineTail keeps the last lines of a log.
type lineTail struct {
	mu    sync.Mutex
	lines []string
}

func (t *lineTail) add(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, s)
	if len(t.lines) > 40 {
		t.lines = t.lines[len(t.lines)-40:]
	}
}

func (t *lineTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}
