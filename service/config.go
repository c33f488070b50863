package service

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tinywindow/tinywindow/internal/printable"
	"github.com/tinywindow/tinywindow/internal/regularfile"
	"github.com/tinywindow/tinywindow/mtls"
	"github.com/tinywindow/tinywindow/provider"
)

// Operations a client may be authorised for, the form that names no RPC:
// OpSign allows every signing RPC (Sign, SignDigest, SignOrder, SignAck,
// SignCheckpoint), OpVerify allows Verify. Client.Operations may also name
// RPCs one by one (RPCSignOrder, ...); the kill switch's RPCKill and
// RPCResume are allowed only by their names. Either way a key signs only through
// its purpose's RPC (PurposeRPC). Being authorised for anything on a key also
// allows reading the key's description and public key (PublicKey, ListKeys).
const (
	OpSign   = "sign"
	OpVerify = "verify"
)

// InsecureIdentity is the identity of every caller on a plaintext loopback
// listener (Options.InsecureLoopback), where there is no certificate.
const InsecureIdentity = "insecure-loopback"

// maxConfigSize bounds the size of a service configuration file.
const maxConfigSize = 1 << 20

// Defaults for Limits.
const (
	DefaultMaxMessageBytes = 1 << 20
	DefaultMaxDeadline     = 30 * time.Second
	DefaultShutdownGrace   = 15 * time.Second
	// MaxSignatureBytes bounds a signature in a Verify request: larger than
	// any signature of the known algorithms (SLH-DSA-SHA2-128f: 17088 bytes).
	MaxSignatureBytes = 64 << 10
	// MaxKeyNameBytes bounds a key name in a request.
	MaxKeyNameBytes = 256
)

// Config is the service's YAML configuration:
//
//	listen: 127.0.0.1:7443              gRPC address
//	tls:
//	  cert: /etc/tinywindow/server.pem   server certificate chain (PEM)
//	  key-source: file:/etc/tinywindow/server.key   its private key (PEM; env:NAME or file:PATH, mode 0600)
//	  # or key-uri: pqc:alg=ML-DSA-65;seed-source=file:/etc/tinywindow/server.seed   a key of any backend
//	  client-ca: /etc/tinywindow/clients-ca.pem     CAs that issue client certificates (PEM)
//	  require-post-quantum: false        true: X25519MLKEM768 and ML-DSA certificates only (Go 1.27)
//	keys:                                name -> key URI (purpose raw), or {uri, purpose, state} (see Key)
//	  legacy: hmac:key-source=file:/etc/tinywindow/legacy.key
//	  pq: pqc:alg=ML-DSA-65;seed-source=file:/etc/tinywindow/pq.seed
//	  orders: {uri: "pem:key-source=file:/etc/tinywindow/orders.pem", purpose: orders}
//	  log: {uri: "pem:key-source=file:/etc/tinywindow/log.pem", purpose: checkpoints, state: /var/lib/tinywindow/log.ckstate}
//	backends:                            per-scheme options added to every key URI of that scheme
//	  pkcs11: {module-path: /usr/lib/softhsm/libsofthsm2.so, pin-source: env:TW_PIN}
//	clients:
//	  - identity: trader-1               certificate subject CN; or dns:NAME, uri:URI, email:ADDRESS for a SAN
//	    keys: [orders]                   key names, or "*" for every key
//	    operations: [sign, verify]       sign: every signing RPC; verify: Verify; or RPC names: [SignOrder, Verify]
//	    rate: 2000                       requests a second (0: unlimited)
//	    burst: 200                       requests above the rate allowed at once
//	limits:
//	  max-message-bytes: 1048576
//	  max-deadline: 30s                  longest a call may run, whatever the client asks
//	  max-concurrent-streams: 256        calls at once on one connection (0: gRPC default)
//	  shutdown-grace: 15s                how long shutdown waits for calls in flight
//	metrics:
//	  listen: 127.0.0.1:9464             Prometheus /metrics (plain HTTP; empty: off)
//	tracing:                             optional: a span per sign and verify over OTLP/gRPC
//	  otlp-endpoint: 127.0.0.1:4317      collector address (see TracingConfig)
//	  insecure: true                     plaintext, loopback only; or ca: FILE for TLS
//	  sample-ratio: 1                    0 to 1
//	  service-name: tinywindow
//
// Unknown fields are an error. Secrets never stand in the file: the TLS key
// and key material are named by sources.
type Config struct {
	Listen   string                       `yaml:"listen"`
	TLS      TLSConfig                    `yaml:"tls"`
	Keys     map[string]Key               `yaml:"keys"`
	Backends map[string]map[string]string `yaml:"backends"`
	Clients  []Client                     `yaml:"clients"`
	Limits   Limits                       `yaml:"limits"`
	Metrics  MetricsConfig                `yaml:"metrics"`
	Tracing  *TracingConfig               `yaml:"tracing"`
	// Audit is the service's audit log of kill switch events; required
	// when a client may call Kill or Resume. See AuditConfig.
	Audit *AuditConfig `yaml:"audit"`
}

// TLSConfig names the server's certificate, its private key and the CAs it
// trusts for clients. The private key is either a PEM file (KeySource) or a
// key of any backend (KeyURI: a pqc seed file, an HSM, a KMS), which signs
// each handshake through provider.CryptoSigner; the backends section adds
// its options to KeyURI as to the keys. The server offers X25519MLKEM768
// first, then X25519, P-256 and P-384. RequirePostQuantum refuses a client
// that offers no ML-KEM hybrid group or whose certificate is not ML-DSA, and
// needs an ML-DSA server certificate and a program built with Go 1.27.
type TLSConfig struct {
	Cert               string `yaml:"cert"`
	KeySource          string `yaml:"key-source"`
	KeyURI             string `yaml:"key-uri"`
	ClientCA           string `yaml:"client-ca"`
	RequirePostQuantum bool   `yaml:"require-post-quantum"`
}

// Client authorises one client certificate identity.
type Client struct {
	Identity   string   `yaml:"identity"`
	Keys       []string `yaml:"keys"`
	Operations []string `yaml:"operations"`
	Rate       float64  `yaml:"rate"`
	Burst      int      `yaml:"burst"`
}

// Limits bounds what a call may ask.
type Limits struct {
	MaxMessageBytes      int64         `yaml:"max-message-bytes"`
	MaxDeadline          time.Duration `yaml:"max-deadline"`
	MaxConcurrentStreams uint32        `yaml:"max-concurrent-streams"`
	ShutdownGrace        time.Duration `yaml:"shutdown-grace"`
}

// MetricsConfig says where the Prometheus endpoint listens.
type MetricsConfig struct {
	Listen string `yaml:"listen"`
}

// LoadConfig reads and checks the configuration file at path, which must be
// a regular file: a named pipe or a device is refused at once.
func LoadConfig(path string) (*Config, error) {
	data, err := regularfile.ReadFile(path, maxConfigSize)
	if err != nil {
		return nil, fmt.Errorf("%w: service config %q: %w", provider.ErrInvalidConfig, path, err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("service config %q: %w", path, err)
	}
	return c, nil
}

// ParseConfig parses and checks a YAML configuration, filling in defaults.
func ParseConfig(data []byte) (*Config, error) {
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("%w: config larger than %d bytes", provider.ErrInvalidConfig, maxConfigSize)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %v", provider.ErrInvalidConfig, printable.Error(err))
	}
	if err := c.Check(); err != nil {
		return nil, err
	}
	return &c, nil
}

func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", provider.ErrInvalidConfig, fmt.Sprintf(format, args...))
}

// Check checks a configuration and fills in the defaults of what it leaves
// out. ParseConfig, New and Reload call it; a program that builds a Config
// in Go need not.
func (c *Config) Check() error {
	if c.Listen == "" {
		return configErr("listen is empty; set it to the gRPC address, such as 127.0.0.1:7443")
	}
	tlsSet := c.TLS != TLSConfig{}
	if tlsSet {
		if err := c.TLS.check(); err != nil {
			return err
		}
	}
	if len(c.Keys) == 0 {
		return configErr("keys is empty; name at least one key: keys: {orders: \"hmac:key-source=file:/etc/tinywindow/orders.key\"}")
	}
	states := map[string]string{}
	for _, name := range sortedKeys(c.Keys) {
		k := c.Keys[name]
		if !validKeyName(name) {
			return configErr("keys: name %q is not lowercase letters, digits, '.', '_' and '-', starting with a letter or digit", name)
		}
		if err := k.check(name); err != nil {
			return err
		}
		if _, err := provider.ParseURI(k.URI); err != nil {
			return fmt.Errorf("keys.%s: %w", name, err)
		}
		if other, dup := states[k.State]; dup && k.State != "" {
			return configErr("keys.%s and keys.%s have the same state file %s; give each checkpoint key its own", other, name, k.State)
		}
		states[k.State] = name
	}
	if len(c.Clients) == 0 {
		return configErr("clients is empty: no one could call the service; add a client with its certificate identity, keys and operations")
	}
	seen := map[string]bool{}
	for i, cl := range c.Clients {
		where := fmt.Sprintf("clients[%d]", i)
		typed, err := parseIdentity(cl.Identity)
		if err != nil {
			return configErr("%s: %v", where, err)
		}
		where = fmt.Sprintf("clients[%d] (%q)", i, cl.Identity)
		if seen[typed] {
			return configErr("%s: identity appears twice", where)
		}
		seen[typed] = true
		if len(cl.Keys) == 0 {
			return configErr("%s: keys is empty; list key names or \"*\"", where)
		}
		for _, k := range cl.Keys {
			if _, ok := c.Keys[k]; !ok && k != "*" {
				return fmt.Errorf("%w: %s: authorises key %q, which is not in keys (known: %s)",
					provider.ErrKeyNotFound, where, k, strings.Join(sortedKeys(c.Keys), ", "))
			}
		}
		if len(cl.Operations) == 0 {
			return configErr("%s: operations is empty; list sign and/or verify, or the RPCs the client may call", where)
		}
		for _, op := range cl.Operations {
			if operationRPCs(op) == nil {
				return configErr("%s: unknown operation %q; use sign, verify, or an RPC name: %s, %s, %s", where, op, strings.Join(signingRPCs, ", "), RPCVerify, strings.Join(killRPCs, ", "))
			}
		}
		if cl.Rate < 0 || cl.Burst < 0 {
			return configErr("%s: rate and burst must not be negative", where)
		}
		if cl.Rate > 0 && cl.Burst == 0 {
			c.Clients[i].Burst = max(1, int(cl.Rate/10))
		}
	}
	for scheme, opts := range c.Backends {
		for name := range opts {
			if strings.ContainsAny(name, " \t;?&=") || name == "" {
				return configErr("backends[%q]: option %q is not an attribute name", scheme, name)
			}
		}
	}
	l := &c.Limits
	switch {
	case l.MaxMessageBytes < 0:
		return configErr("limits.max-message-bytes is negative")
	case l.MaxMessageBytes == 0:
		l.MaxMessageBytes = DefaultMaxMessageBytes
	case l.MaxMessageBytes > 64<<20:
		return configErr("limits.max-message-bytes %d is over 64 MiB; sign a digest of large documents instead", l.MaxMessageBytes)
	}
	if l.MaxDeadline < 0 || l.ShutdownGrace < 0 {
		return configErr("limits: durations must not be negative")
	}
	if l.MaxDeadline == 0 {
		l.MaxDeadline = DefaultMaxDeadline
	}
	if l.ShutdownGrace == 0 {
		l.ShutdownGrace = DefaultShutdownGrace
	}
	if c.Tracing != nil {
		if err := c.Tracing.check(); err != nil {
			return err
		}
	}
	if c.Audit != nil {
		if err := c.Audit.check(); err != nil {
			return err
		}
	} else if c.allowsKill() {
		return configErr("a client may call Kill or Resume, but there is no audit section: every kill and resume must be recorded; add audit: {path: FILE, checkpoint-signer: URI}")
	}
	return nil
}

func (t *TLSConfig) check() error {
	switch {
	case t.Cert == "" || t.ClientCA == "" || t.KeySource == "" && t.KeyURI == "":
		return configErr("tls needs all of cert, key-source and client-ca (mutual TLS); key-uri may stand for key-source")
	case t.KeySource != "" && t.KeyURI != "":
		return configErr("tls has both key-source and key-uri; name the server's private key once")
	}
	if t.KeyURI != "" {
		if _, err := provider.ParseURI(t.KeyURI); err != nil {
			return fmt.Errorf("tls.key-uri: %w", err)
		}
	}
	if t.RequirePostQuantum {
		return mtls.RequirePostQuantum("tls.require-post-quantum")
	}
	return nil
}

// keyURI returns the URI of the named key with the backend options added.
func (c *Config) keyURI(name string) (*provider.URI, error) {
	return c.withBackend(c.Keys[name].URI)
}

// withBackend parses a key URI and adds the options of its backend.
func (c *Config) withBackend(uri string) (*provider.URI, error) {
	u, err := provider.ParseURI(uri)
	if err != nil {
		return nil, err
	}
	opts := c.Backends[u.Scheme]
	for _, n := range sortedKeys(opts) {
		if !u.Has(n) {
			u.Query = append(u.Query, provider.Attr{Name: n, Value: opts[n]})
		}
	}
	return u, nil
}

func validKeyName(s string) bool {
	if s == "" || len(s) > MaxKeyNameBytes || s == "*" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && (c == '.' || c == '_' || c == '-')
		if !ok {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
