package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/tinywindow/tinywindow/provider"
)

func init() {
	register(command{name: "cert", summary: "write an X.509 certificate for the key, self-signed or signed by --ca-signer", run: runCert})
}

// maxCertFile bounds the size of a CA certificate file.
const maxCertFile = 1 << 20

// certRole is what a certificate is for.
type certRole int

const (
	roleClientServer certRole = iota // a TLS client and server (neither --client nor --server)
	roleClient                       // --client
	roleServer                       // --server
	roleCA                           // --ca
)

// certTemplate is what a certificate says and who signs it.
type certTemplate struct {
	subject   pkix.Name
	dns       []string
	days      int
	role      certRole
	public    crypto.PublicKey   // the subject's public key
	signer    crypto.Signer      // the issuer's key: the subject's own when self-signed
	signerAlg provider.Algorithm // the issuer key's algorithm
	parent    *x509.Certificate  // the issuer's certificate; nil when self-signed
	now       func() time.Time   // the clock; time.Now when nil
	random    io.Reader          // serial numbers and signatures; crypto/rand when nil
}

func runCert(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "cert", `--signer URI --subject "CN=NAME" [--dns NAME]... [--days N] [--ca-signer URI --ca-cert FILE] [--client|--server|--ca] --out FILE.pem`)
	var sf signerFlags
	sf.add(fs)
	subject := fs.String("subject", "", `subject name: comma-separated CN=, O=, OU=, C=, ST=, L= (CN required; write \, for a comma in a value)`)
	var dns stringList
	fs.Var(&dns, "dns", "a DNS name for the subject alternative name extension (repeatable)")
	days := fs.Int("days", 365, "validity in days, 1 to 36500 (cut to the CA certificate's end)")
	caSigner := fs.String("ca-signer", "", "key URI of the issuing CA (default: self-signed with --signer's key)")
	caCert := fileString(fs, "ca-cert", kindCert, "PEM certificate of the issuing CA, whose public key must be --ca-signer's")
	client := fs.Bool("client", false, "a TLS client certificate (extended key usage clientAuth)")
	server := fs.Bool("server", false, "a TLS server certificate (extended key usage serverAuth)")
	ca := fs.Bool("ca", false, "a CA certificate (basic constraints CA:TRUE, key usage keyCertSign and cRLSign)")
	out := fileString(fs, "out", kindNewFile, "write the PEM CERTIFICATE to FILE (which must not exist)")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	t := certTemplate{days: *days}
	var err error
	if t.subject, err = parseSubject(*subject); err != nil {
		return e.errorf("cert: --subject: %v", err)
	}
	if err := checkDNSNames(dns); err != nil {
		return e.errorf("cert: --dns: %v", err)
	}
	t.dns = dns
	switch {
	case *ca && (*client || *server):
		return e.errorf("cert: --ca makes a CA certificate; it takes neither --client nor --server")
	case *ca:
		t.role = roleCA
	case *client && !*server:
		t.role = roleClient
	case *server && !*client:
		t.role = roleServer
	}
	if *days < 1 || *days > 36500 {
		return e.errorf("cert: --days %d: give 1 to 36500", *days)
	}
	if (*caSigner == "") != (*caCert == "") {
		return e.errorf("cert: give --ca-signer URI and --ca-cert FILE together (or neither, for a self-signed certificate)")
	}
	if *out == "" {
		return e.errorf("cert: give --out FILE.pem")
	}
	if *caCert != "" {
		if t.parent, err = readCACert(ctx, *caCert, time.Now()); err != nil {
			return e.errorf("cert: --ca-cert: %v", err)
		}
	}
	key, err := sf.open(ctx)
	if err != nil {
		return e.errorf("cert: %v", err)
	}
	defer key.Close()
	cs, err := certSigner(ctx, key)
	if err != nil {
		return e.errorf("cert: %v", err)
	}
	t.public, t.signer, t.signerAlg = cs.Public(), cs, key.Info().Algorithm
	if *caSigner != "" {
		caKey, err := openURI(ctx, *caSigner, sf.config)
		if err != nil {
			return e.errorf("cert: --ca-signer: %v", err)
		}
		defer caKey.Close()
		caCS, err := certSigner(ctx, caKey)
		if err != nil {
			return e.errorf("cert: --ca-signer: %v", err)
		}
		if !samePublicKey(t.parent.PublicKey, caCS.Public()) {
			return e.errorf("cert: --ca-cert %s (subject %q) does not hold the public key of --ca-signer key %s; give the CA's own certificate",
				*caCert, t.parent.Subject.String(), caKey.Info().ID)
		}
		t.signer, t.signerAlg = caCS, caKey.Info().Algorithm
	}
	der, err := t.create()
	if err != nil {
		return e.errorf("cert: %v", err)
	}
	if err := writeNewPEM(*out, "CERTIFICATE", der); err != nil {
		return e.errorf("cert: %v", err)
	}
	fmt.Fprintf(e.stderr, "wrote a certificate for %s key %s to %s\n", key.Info().Algorithm, key.Info().ID, *out)
	return exitOK
}

// openURI opens the key uri names, with the backend options of the config
// file, if one is given.
func openURI(ctx context.Context, uri, config string) (provider.Key, error) {
	return (&signerFlags{signer: uri, config: config}).open(ctx)
}

// readCACert reads the first PEM CERTIFICATE of path and checks that it can
// issue certificates at now: a CA (basic constraints CA:TRUE) allowed to sign
// certificates, within its validity period.
func readCACert(ctx context.Context, path string, now time.Time) (*x509.Certificate, error) {
	data, err := readFile(ctx, kindCert, path)
	if err != nil {
		return nil, err
	}
	var block *pem.Block
	for rest := data; ; {
		block, rest = pem.Decode(rest)
		if block == nil || block.Type == "CERTIFICATE" {
			break
		}
	}
	if block == nil {
		return nil, fmt.Errorf("%s holds no PEM CERTIFICATE block", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch {
	case !cert.BasicConstraintsValid || !cert.IsCA:
		return nil, fmt.Errorf("%s (subject %q) is not a CA certificate (no basic constraints CA:TRUE); make one with tinywindow cert --ca", path, cert.Subject.String())
	case cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageCertSign == 0:
		return nil, fmt.Errorf("%s (subject %q) may not sign certificates (its key usage lacks keyCertSign)", path, cert.Subject.String())
	case now.After(cert.NotAfter):
		return nil, fmt.Errorf("the CA certificate %s (subject %q) expired on %s; renew the CA certificate", path, cert.Subject.String(), cert.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(cert.NotBefore):
		return nil, fmt.Errorf("the CA certificate %s (subject %q) is not valid before %s", path, cert.Subject.String(), cert.NotBefore.UTC().Format(time.RFC3339))
	}
	return cert, nil
}

// samePublicKey reports whether a and b are the same public key.
func samePublicKey(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}

// create signs the certificate and returns its DER.
func (t *certTemplate) create() ([]byte, error) {
	now := time.Now
	if t.now != nil {
		now = t.now
	}
	random := rand.Reader
	if t.random != nil {
		random = t.random
	}
	serial := make([]byte, 16)
	if _, err := io.ReadFull(random, serial); err != nil {
		return nil, fmt.Errorf("%w: serial number: %w", provider.ErrUnavailable, err)
	}
	serial[0] &= 0x7f
	serial[0] |= 0x40 // positive, and 16 bytes long
	start := now().Add(-5 * time.Minute).UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:       new(big.Int).SetBytes(serial),
		Subject:            t.subject,
		DNSNames:           t.dns,
		NotBefore:          start,
		NotAfter:           start.Add(time.Duration(t.days) * 24 * time.Hour),
		SignatureAlgorithm: signatureAlgorithm(t.signerAlg),
		KeyUsage:           x509.KeyUsageDigitalSignature,
	}
	switch t.role {
	case roleCA:
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	case roleClient:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	case roleServer:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	default:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	}
	parent := tmpl
	if t.parent != nil {
		parent = t.parent
		if tmpl.NotAfter.After(parent.NotAfter) {
			tmpl.NotAfter = parent.NotAfter
		}
	}
	der, err := x509.CreateCertificate(random, tmpl, parent, t.public, t.signer)
	if err != nil {
		return nil, fmt.Errorf("signing the certificate with %s: %w", t.signerAlg, err)
	}
	return der, nil
}
