package gcpkms

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	kms "cloud.google.com/go/kms/apiv1"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tinywindow/tinywindow/internal/cloudkey"
	"github.com/tinywindow/tinywindow/provider"
)

// The URI attributes this backend accepts.
var uriAttrs = []string{"key", "version", "endpoint", "verify", "max-attempts", "max-backoff", "pubkey-ttl"}

// Defaults of the optional URI attributes.
const (
	DefaultMaxAttempts = cloudkey.DefaultMaxAttempts
	DefaultMaxBackoff  = cloudkey.DefaultMaxBackoff
	DefaultPubKeyTTL   = cloudkey.DefaultPubKeyTTL
)

// options is a parsed gcpkms key URI.
type options struct {
	key            string // projects/P/locations/L/keyRings/R/cryptoKeys/K
	version        int    // 0: the highest enabled version
	endpoint       string // host:port; empty: Cloud KMS's default
	plaintext      bool   // endpoint=http://loopback:port, no TLS, no credentials
	cloudkey.Calls        // verify=, max-attempts=, max-backoff=, pubkey-ttl=
}

// keyPattern matches a CryptoKey resource name: Cloud KMS key ring and key
// IDs are 1 to 63 letters, digits, '_' and '-'.
var keyPattern = regexp.MustCompile(`^projects/[A-Za-z0-9.:_-]{1,100}/locations/[a-z0-9-]{1,63}/keyRings/[A-Za-z0-9_-]{1,63}/cryptoKeys/[A-Za-z0-9_-]{1,63}$`)

func parseOptions(u *provider.URI) (*options, error) {
	if err := u.Check(Scheme, uriAttrs...); err != nil {
		return nil, err
	}
	o := &options{}
	var ok bool
	if o.key, ok = u.Get("key"); !ok || o.key == "" {
		return nil, fmt.Errorf("%w: gcpkms URI names no key; write key=projects/P/locations/L/keyRings/R/cryptoKeys/K, as in gcpkms:key=projects/trading/locations/europe-west2/keyRings/orders/cryptoKeys/signer",
			provider.ErrInvalidConfig)
	}
	if strings.Contains(o.key, "/cryptoKeyVersions/") {
		return nil, fmt.Errorf("%w: gcpkms key %q names a key version; write key=…/cryptoKeys/K;version=N", provider.ErrInvalidConfig, o.key)
	}
	if !keyPattern.MatchString(o.key) {
		return nil, fmt.Errorf("%w: gcpkms key %q is not a CryptoKey name projects/P/locations/L/keyRings/R/cryptoKeys/K (key ring and key IDs: 1-63 letters, digits, '_' or '-')",
			provider.ErrInvalidConfig, o.key)
	}
	if v, ok := u.Get("version"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || strconv.Itoa(n) != v {
			return nil, fmt.Errorf("%w: gcpkms version=%q; write the key version's number, such as version=3, or leave it out for the highest enabled version", provider.ErrInvalidConfig, v)
		}
		o.version = n
	}
	if v, ok := u.Get("endpoint"); ok {
		if err := o.parseEndpoint(v); err != nil {
			return nil, err
		}
	}
	var err error
	if o.Calls, err = cloudkey.ParseCalls(u, "Cloud KMS checks"); err != nil {
		return nil, err
	}
	return o, nil
}

// versionName returns the resource name of key version n.
func (o *options) versionName(n int) string {
	return o.key + "/cryptoKeyVersions/" + strconv.Itoa(n)
}

// parseEndpoint accepts host:port (TLS, Application Default Credentials),
// https://host[:port] (the same), or http://host:port on a loopback address
// (plaintext and no credentials, for doubles and emulators: a token must not
// travel in clear).
func (o *options) parseEndpoint(s string) error {
	bad := func() error {
		return fmt.Errorf("%w: gcpkms endpoint %q; write host:port (TLS), https://host[:port], or http://127.0.0.1:PORT for a local test server (plaintext, loopback only, no credentials)",
			provider.ErrInvalidConfig, s)
	}
	if !strings.Contains(s, "://") {
		host, port, err := net.SplitHostPort(s)
		if err != nil || host == "" || port == "" {
			return bad()
		}
		o.endpoint = s
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return bad()
	}
	switch u.Scheme {
	case "https":
		o.endpoint = u.Host
		if u.Port() == "" {
			o.endpoint = net.JoinHostPort(u.Hostname(), "443")
		}
	case "http":
		ip := net.ParseIP(u.Hostname())
		if u.Port() == "" || (u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return bad()
		}
		o.endpoint, o.plaintext = u.Host, true
	default:
		return bad()
	}
	return nil
}

// newClient builds a Cloud KMS gRPC client: Application Default Credentials
// and TLS, or for a plaintext loopback endpoint neither.
func newClient(ctx context.Context, o *options) (*kms.KeyManagementClient, error) {
	var opts []option.ClientOption
	if o.endpoint != "" {
		opts = append(opts, option.WithEndpoint(o.endpoint))
	}
	if o.plaintext {
		opts = append(opts, option.WithoutAuthentication(),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	} else {
		creds, err := loadCredentials(ctx, o.key)
		if err != nil {
			return nil, err
		}
		opts = append(opts, option.WithAuthCredentials(creds))
	}
	c, err := kms.NewKeyManagementClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: gcpkms: creating the Cloud KMS client: %w (set up Application Default Credentials: gcloud auth application-default login, GOOGLE_APPLICATION_CREDENTIALS, or a workload's service account)",
			provider.ErrInvalidConfig, err)
	}
	return c, nil
}
