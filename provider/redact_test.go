package provider

import (
	"strings"
	"testing"
)

func TestRedacted(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"hmac:seed=42", "hmac:seed=REDACTED"},
		{"hmac:key-source=env:TW_KEY", "hmac:key-source=env:TW_KEY"},
		{"hmac:key-source=00112233", "hmac:key-source=REDACTED"},
		{"hmac:key-source=file:", "hmac:key-source=REDACTED"},
		{"pkcs11:token=t;object=o?module-path=/m.so&pin-source=file:/p&pin-value=1234", "pkcs11:token=t;object=o?module-path=/m.so&pin-source=file:/p&pin-value=REDACTED"},
		{"pkcs11:token=t?pin-source=1234", "pkcs11:token=t?pin-source=REDACTED"},
		{"x:db-password=hunter2;api-secret=s;other-value=v", "x:db-password=REDACTED;api-secret=REDACTED;other-value=REDACTED"},
		{"azurekv:vault=https://user:pass@v.example.com;name=k", "azurekv:vault=https://REDACTED@v.example.com;name=k"},
		{"awskms:key-id=alias/orders;region=eu-west-2", "awskms:key-id=alias/orders;region=eu-west-2"},
	} {
		got := MustParseURI(tc.in).Redacted()
		if got != tc.want {
			t.Errorf("Redacted(%s) = %s, want %s", tc.in, got, tc.want)
		}
		for _, secret := range []string{"=42", "1234", "hunter2", "pass@", "00112233"} {
			if strings.Contains(got, secret) {
				t.Errorf("Redacted(%s) = %s keeps %q", tc.in, got, secret)
			}
		}
	}
}
