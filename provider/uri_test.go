package provider

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseURI(t *testing.T) {
	for _, tc := range []struct {
		in    string
		want  URI
		canon string // String() of the result, when it differs from in
	}{
		{in: "hmac:seed=42", want: URI{Scheme: "hmac", Path: []Attr{{"seed", "42"}}}},
		{in: "hmac:", want: URI{Scheme: "hmac"}},
		{in: "pqc:alg=ML-DSA-65;seed-source=file:/etc/tw/seed", want: URI{Scheme: "pqc", Path: []Attr{{"alg", "ML-DSA-65"}, {"seed-source", "file:/etc/tw/seed"}}}},
		{
			in:   "awskms:key-id=alias/orders;region=eu-west-2?endpoint=http://127.0.0.1:4599",
			want: URI{Scheme: "awskms", Path: []Attr{{"key-id", "alias/orders"}, {"region", "eu-west-2"}}, Query: []Attr{{"endpoint", "http://127.0.0.1:4599"}}},
		},
		{
			in:   "pkcs11:token=tinywindow;object=orders?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:TW_PIN",
			want: URI{Scheme: "pkcs11", Path: []Attr{{"token", "tinywindow"}, {"object", "orders"}}, Query: []Attr{{"module-path", "/usr/lib/softhsm/libsofthsm2.so"}, {"pin-source", "env:TW_PIN"}}},
		},
		{in: "x:a=b=c", want: URI{Scheme: "x", Path: []Attr{{"a", "b=c"}}}},
		{in: "x:a=", want: URI{Scheme: "x", Path: []Attr{{"a", ""}}}},
		{in: "x:a=semi%3Bcolon%3Fq%26amp%25pct", want: URI{Scheme: "x", Path: []Attr{{"a", "semi;colon?q&amp%pct"}}}},
		{in: "x:a=%2f", want: URI{Scheme: "x", Path: []Attr{{"a", "/"}}}, canon: "x:a=/"},
		{in: "x:a=with%20space", want: URI{Scheme: "x", Path: []Attr{{"a", "with space"}}}},
		{in: "x:?a=1", want: URI{Scheme: "x", Query: []Attr{{"a", "1"}}}},
		{in: "x:a=é", want: URI{Scheme: "x", Path: []Attr{{"a", "é"}}}},
		{in: "x:a=%C3%A9", want: URI{Scheme: "x", Path: []Attr{{"a", "é"}}}, canon: "x:a=é"},
		{in: "a1+b.c-d:n=v", want: URI{Scheme: "a1+b.c-d", Path: []Attr{{"n", "v"}}}},
	} {
		got, err := ParseURI(tc.in)
		if err != nil {
			t.Errorf("ParseURI(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("ParseURI(%q) = %+v, want %+v", tc.in, *got, tc.want)
		}
		canon := tc.canon
		if canon == "" {
			canon = tc.in
		}
		if s := got.String(); s != canon {
			t.Errorf("ParseURI(%q).String() = %q, want %q", tc.in, s, canon)
		}
	}
}

func TestParseURIErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "no scheme"},
		{"hmac", "no scheme"},
		{":seed=1", "scheme"},
		{"HMAC:seed=1", "scheme"},
		{"1x:seed=1", "scheme"},
		{"hmac:seed", "has no '='"},
		{"hmac:seed=1;", "empty path attribute"},
		{"hmac:seed=1;;a=b", "empty path attribute"},
		{"hmac:?a=1&", "empty query attribute"},
		{"hmac:=1", "name is not"},
		{"hmac:Seed=1", "name is not"},
		{"hmac:se_ed=1", "name is not"},
		{"hmac:seed=1;seed=2", "more than once"},
		{"hmac:seed=1?seed=2", "more than once"},
		{"hmac:seed=%", "truncated percent-encoding"},
		{"hmac:seed=%4", "truncated percent-encoding"},
		{"hmac:seed=%zz", "bad percent-encoding"},
		{"hmac:seed=a b", "unescaped byte"},
		{"hmac:seed=a#b", "unescaped byte"},
		{"hmac:seed=a\x00b", "unescaped byte"},
		{"hmac:seed=a&b", "raw ';'"},
		{"hmac:?seed=a;b", "raw ';'"},
		{"hmac:?seed=a?b", "raw ';'"},
		{"hmac:seed=" + strings.Repeat("1", MaxURILength), "longer than"},
	} {
		_, err := ParseURI(tc.in)
		if err == nil {
			t.Errorf("ParseURI(%q) succeeded", tc.in)
			continue
		}
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("ParseURI(%q): %v is not ErrInvalidConfig", tc.in, err)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseURI(%q): %q does not say %q", tc.in, err, tc.want)
		}
	}
}

func TestURIErrorsHideValues(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	for _, in := range []string{"hmac:" + secret, "hmac:k=" + secret + "%zz", "hmac:k=" + secret + " x"} {
		_, err := ParseURI(in)
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("ParseURI(%q): error %v quotes the value", in, err)
		}
	}
}

func TestURICheck(t *testing.T) {
	u := MustParseURI("hmac:seed=1?extra=2")
	if err := u.Check("hmac", "seed", "extra"); err != nil {
		t.Fatal(err)
	}
	if err := u.Check("hmac", "seed"); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), `unknown attribute "extra"`) {
		t.Fatalf("Check with an unknown attribute: %v", err)
	}
	if err := u.Check("pqc", "seed", "extra"); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("Check with the wrong scheme: %v", err)
	}
}

func TestURIGetSet(t *testing.T) {
	u := MustParseURI("x:a=1?b=2")
	if v, ok := u.Get("b"); !ok || v != "2" {
		t.Fatalf("Get(b) = %q, %v", v, ok)
	}
	if u.Has("c") {
		t.Fatal("Has(c)")
	}
	u.Set("a", "3")
	u.Set("c", "4;5")
	if got := u.String(); got != "x:a=3?b=2&c=4%3B5" {
		t.Fatalf("after Set: %s", got)
	}
}

// FuzzParseURI checks that ParseURI never panics, and that whatever it
// accepts survives a round trip through String unchanged.
func FuzzParseURI(f *testing.F) {
	for _, s := range []string{
		"hmac:seed=42",
		"pkcs11:token=tinywindow;object=orders?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:TW_PIN",
		"x:a=b=c;d=%3B%25?e=%26",
		"x:?a=",
		"x:a=%zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURI(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("ParseURI(%.80q): error %v is not ErrInvalidConfig", s, err)
			}
			return
		}
		again, err := ParseURI(u.String())
		if err != nil {
			t.Fatalf("ParseURI(%.80q).String() = %.80q does not parse: %v", s, u.String(), err)
		}
		if !reflect.DeepEqual(u, again) {
			t.Fatalf("round trip of %.80q changed it", s)
		}
		if len(u.String()) > len(s) {
			t.Fatalf("String of %.80q is longer than the input", s)
		}
		if again.String() != u.String() {
			t.Fatalf("String is not canonical for %.80q", s)
		}
	})
}
