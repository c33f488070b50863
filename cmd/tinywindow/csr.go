package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/tinywindow/tinywindow/provider"
)

func init() {
	register(command{name: "csr", summary: "write a PKCS #10 certificate request for the key (--signer URI --subject DN --out FILE)", run: runCSR})
}

func runCSR(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "csr", `--signer URI --subject "CN=NAME[,O=ORG]" [--dns NAME]... --out FILE.csr`)
	var sf signerFlags
	sf.add(fs)
	subject := fs.String("subject", "", `subject name: comma-separated CN=, O=, OU=, C=, ST=, L= (CN required; write \, for a comma in a value)`)
	var dns stringList
	fs.Var(&dns, "dns", "a DNS name for the subject alternative name extension (repeatable)")
	out := fileString(fs, "out", kindNewFile, "write the PEM CERTIFICATE REQUEST to FILE (which must not exist)")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	name, err := parseSubject(*subject)
	if err != nil {
		return e.errorf("csr: --subject: %v", err)
	}
	if err := checkDNSNames(dns); err != nil {
		return e.errorf("csr: --dns: %v", err)
	}
	if *out == "" {
		return e.errorf("csr: give --out FILE.csr")
	}
	key, err := sf.open(ctx)
	if err != nil {
		return e.errorf("csr: %v", err)
	}
	defer key.Close()
	cs, err := certSigner(ctx, key)
	if err != nil {
		return e.errorf("csr: %v", err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:            name,
		DNSNames:           dns,
		SignatureAlgorithm: signatureAlgorithm(key.Info().Algorithm),
	}, cs)
	if err != nil {
		return e.errorf("csr: %s key %s: %v", key.Info().Algorithm, key.Info().ID, err)
	}
	if err := writeNewPEM(*out, "CERTIFICATE REQUEST", der); err != nil {
		return e.errorf("csr: %v", err)
	}
	fmt.Fprintf(e.stderr, "wrote a certificate request for %s key %s to %s\n", key.Info().Algorithm, key.Info().ID, *out)
	return exitOK
}

// subjectAttrs are the attributes --subject accepts.
var subjectAttrs = []string{"CN", "O", "OU", "C", "ST", "L"}

// parseSubject parses "CN=NAME,O=ORG,...": attributes separated by commas,
// each NAME=VALUE with NAME one of subjectAttrs; "\," is a comma inside a
// value. CN is required and single; an unknown or empty attribute is an
// error.
func parseSubject(s string) (pkix.Name, error) {
	var name pkix.Name
	if strings.TrimSpace(s) == "" {
		return name, errors.New(`empty; write --subject "CN=NAME[,O=ORG]"`)
	}
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == ',':
			cur.WriteByte(',')
			i++
		case s[i] == ',':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	parts = append(parts, cur.String())
	seenCN := false
	for _, p := range parts {
		attr, value, ok := strings.Cut(strings.TrimSpace(p), "=")
		attr, value = strings.TrimSpace(attr), strings.TrimSpace(value)
		if !ok || attr == "" {
			return name, fmt.Errorf("%q is not NAME=VALUE", p)
		}
		if value == "" {
			return name, fmt.Errorf("%s= has no value", attr)
		}
		switch strings.ToUpper(attr) {
		case "CN":
			if seenCN {
				return name, errors.New("CN= given twice; a subject has one common name")
			}
			seenCN = true
			name.CommonName = value
		case "O":
			name.Organization = append(name.Organization, value)
		case "OU":
			name.OrganizationalUnit = append(name.OrganizationalUnit, value)
		case "C":
			if len(value) != 2 {
				return name, fmt.Errorf("country %q: C= takes a two-letter ISO 3166 code", value)
			}
			name.Country = append(name.Country, value)
		case "ST":
			name.Province = append(name.Province, value)
		case "L":
			name.Locality = append(name.Locality, value)
		default:
			return name, fmt.Errorf("unknown attribute %q; use %s", attr, strings.Join(subjectAttrs, ", "))
		}
	}
	if !seenCN {
		return name, errors.New("no CN=; a subject needs a common name")
	}
	return name, nil
}

// checkDNSNames refuses names that cannot be DNS names of a certificate.
func checkDNSNames(names []string) error {
	for _, n := range names {
		if n == "" || len(n) > 253 {
			return fmt.Errorf("%q is not a DNS name", n)
		}
		for i := 0; i < len(n); i++ {
			c := n[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '*' && i == 0) {
				return fmt.Errorf("%q is not a DNS name (letters, digits, '-', '.', and a leading '*' only)", n)
			}
		}
	}
	return nil
}

// certSigner returns the crypto.Signer of a key that can sign certificates,
// or says why the key cannot: a MAC, a key bound to a context string, or a
// key whose public key crypto/x509 cannot hold (ML-DSA before Go 1.27,
// SLH-DSA).
func certSigner(ctx context.Context, key provider.Key) (crypto.Signer, error) {
	info := key.Info()
	if info.Algorithm.Symmetric() {
		return nil, fmt.Errorf("%w: %s key %s is a MAC and cannot sign a certificate or request; use an asymmetric key (ECDSA, Ed25519, RSA, ML-DSA)",
			provider.ErrUnsupported, info.Algorithm, info.ID)
	}
	if c, ok := key.(interface{ SignatureContext() []byte }); ok && len(c.SignatureContext()) > 0 {
		return nil, fmt.Errorf("%w: %s key %s binds a context string (ctx=) into its signatures, which X.509 signatures do not have; open the key without ctx=",
			provider.ErrUnsupported, info.Algorithm, info.ID)
	}
	cs, err := provider.CryptoSigner(ctx, key)
	if err != nil {
		return nil, err
	}
	if _, err := x509.MarshalPKIXPublicKey(cs.Public()); err != nil {
		if strings.HasPrefix(string(info.Algorithm), "ML-DSA-") {
			return nil, fmt.Errorf("%w: %s certificates: needs Go 1.27 (crypto/x509 of older Go has no ML-DSA); build tinywindow with Go 1.27 or later (GOTOOLCHAIN=go1.27.3)",
				provider.ErrUnsupported, info.Algorithm)
		}
		return nil, fmt.Errorf("%w: crypto/x509 cannot put a %s public key in a certificate: %v", provider.ErrUnsupported, info.Algorithm, err)
	}
	return cs, nil
}

// signatureAlgorithm returns the X.509 signature algorithm a key of alg
// signs with; zero lets crypto/x509 choose from the public key (ECDSA,
// Ed25519, ML-DSA).
func signatureAlgorithm(alg provider.Algorithm) x509.SignatureAlgorithm {
	switch alg {
	case provider.ECDSAP256SHA256:
		return x509.ECDSAWithSHA256
	case provider.ECDSAP384SHA384:
		return x509.ECDSAWithSHA384
	case provider.RSAPSSSHA256:
		return x509.SHA256WithRSAPSS
	case provider.RSAPKCS1SHA256:
		return x509.SHA256WithRSA
	}
	return x509.UnknownSignatureAlgorithm
}

// writeNewPEM writes one PEM block to a new file of mode 0644; an existing
// file is never overwritten, and a failed write leaves no file.
func writeNewPEM(path, blockType string, der []byte) error {
	data := pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("--out %q: %w (the file must not exist yet; it is never overwritten)", path, pathless(err))
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("writing %q: %w", path, pathless(err))
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("writing %q: %w", path, pathless(err))
	}
	return nil
}
