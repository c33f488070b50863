package azurekv

import "testing"

func TestParseKID(t *testing.T) {
	for _, c := range []struct {
		kid, name, version string
		ok                 bool
	}{
		{"https://v.vault.azure.net/keys/orders/0123abcd", "orders", "0123abcd", true},
		{"https://v.vault.azure.net/keys/orders", "orders", "", true},
		{"https://127.0.0.1:8443/keys/k/v", "k", "v", true},
		{"orders", "", "", false},
		{"https://v.vault.azure.net", "", "", false},
		{"https://v.vault.azure.net/secrets/orders/1", "", "", false},
		{"https://v.vault.azure.net/keys//1", "", "", false},
		{"https://v.vault.azure.net/keys/orders/1/extra", "", "", false},
	} {
		name, version, ok := parseKID(c.kid)
		if name != c.name || version != c.version || ok != c.ok {
			t.Errorf("parseKID(%q) = %q, %q, %v; want %q, %q, %v", c.kid, name, version, ok, c.name, c.version, c.ok)
		}
	}
}
