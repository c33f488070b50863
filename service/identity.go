package service

import (
	"crypto/x509"
	"fmt"
	"strings"
)

// Identity kinds. A client's identity in the configuration names the kind of
// certificate name it matches, so that a name of one kind can never stand for
// a name of another: a CA that issues a DNS SAN "trader-1" to one party and
// the CN "trader-1" to another has issued two different identities.
const (
	identityCN    = "cn"    // the subject common name
	identityDNS   = "dns"   // a DNS subject alternative name (compared case-insensitively)
	identityURI   = "uri"   // a URI subject alternative name, such as spiffe://example.org/risk
	identityEmail = "email" // an e-mail subject alternative name
)

// parseIdentity returns the typed form ("kind:name") of a configured client
// identity. A name with a kind prefix (cn:, dns:, uri:, email:) matches only
// certificate names of that kind; a bare name means a subject CN. A bare name
// that holds a colon is refused, since it reads like a URI or a prefix with a
// typo, and the configuration would otherwise quietly match only a CN.
func parseIdentity(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("identity is empty; give the certificate's name as cn:NAME, dns:NAME, uri:URI or email:ADDRESS")
	}
	kind, name, ok := strings.Cut(s, ":")
	if !ok {
		return typedIdentity(identityCN, s), nil
	}
	switch kind {
	case identityCN, identityDNS, identityURI, identityEmail:
	default:
		return "", fmt.Errorf("identity %q has no known kind before its colon; write cn:, dns:, uri: or email: before the name (a bare name means the subject CN), for example uri:%s", s, s)
	}
	if name == "" {
		return "", fmt.Errorf("identity %q names no %s", s, kind)
	}
	return typedIdentity(kind, name), nil
}

// typedIdentity is the one spelling of a name of a kind that configured and
// presented identities are compared in.
func typedIdentity(kind, name string) string {
	if kind == identityDNS {
		name = strings.ToLower(name)
	}
	return kind + ":" + name
}

// identities returns the typed names a verified client certificate goes by:
// its subject CN, DNS names, URIs and e-mail addresses, each with its kind.
func identities(cert *x509.Certificate) []string {
	var out []string
	if cert.Subject.CommonName != "" {
		out = append(out, typedIdentity(identityCN, cert.Subject.CommonName))
	}
	for _, d := range cert.DNSNames {
		out = append(out, typedIdentity(identityDNS, d))
	}
	for _, u := range cert.URIs {
		out = append(out, typedIdentity(identityURI, u.String()))
	}
	for _, e := range cert.EmailAddresses {
		out = append(out, typedIdentity(identityEmail, e))
	}
	return out
}
