package conformance_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
	pemkey "github.com/tinywindow/tinywindow/providers/pem"
)

// docsExample returns the JSON example and the field table of
// docs/conformance.md.
func docsExample(t *testing.T) (example []byte, fields []string) {
	t.Helper()
	doc, err := os.ReadFile("../docs/conformance.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := bytes.Cut(doc, []byte("## Example"))
	if !ok {
		t.Fatal("docs/conformance.md has no Example section")
	}
	m := regexp.MustCompile("(?s)```json\n(.*?)```").FindSubmatch(after)
	if m == nil {
		t.Fatal("docs/conformance.md's Example has no json block")
	}
	_, table, _ := bytes.Cut(doc, []byte("## JSON schema"))
	for _, row := range regexp.MustCompile("(?m)^\\| (`[^|]+`) \\|").FindAllSubmatch(table, -1) {
		for _, f := range strings.Split(string(row[1]), ", ") {
			fields = append(fields, strings.Trim(f, "`"))
		}
	}
	return m[1], fields
}

// jsonFields returns the JSON names of t's fields, those of nested structs
// and slices of structs under prefix (the element's name for a slice).
func jsonFields(t reflect.Type, prefix string) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out = append(out, prefix+name)
		ft := f.Type
		elem := map[string]string{"findings": "finding.", "modules": "module.", "checks": "check."}
		switch {
		case ft.Kind() == reflect.Struct && ft.PkgPath() != "time":
			out = append(out, jsonFields(ft, prefix+name+".")...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			out = append(out, jsonFields(ft.Elem(), elem[name])...)
		}
	}
	return out
}

// TestDocsSchema checks docs/conformance.md against the code: its field
// table lists exactly the fields a report can have, its example is a report
// of the current schema with no field the code does not know, and the
// example's checks say what the suite's checks say for its algorithm.
func TestDocsSchema(t *testing.T) {
	example, documented := docsExample(t)
	want := jsonFields(reflect.TypeFor[conformance.Report](), "")
	slices.Sort(want)
	slices.Sort(documented)
	if !slices.Equal(documented, want) {
		t.Errorf("the schema table lists %q;\nthe code writes %q", documented, want)
	}
	if err := conformance.CheckSchema(example); err != nil {
		t.Errorf("the example: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(example))
	dec.DisallowUnknownFields()
	var rep conformance.Report
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("the example is not a report the code reads: %v", err)
	}
	if rep.SuiteVersion != conformance.Version {
		t.Errorf("the example's suite_version is %q, the suite's %q", rep.SuiteVersion, conformance.Version)
	}

	// The example's checks, as the code writes them for a key of its
	// algorithm.
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Algorithm != string(provider.ECDSAP256SHA256) {
		t.Fatalf("the example is of %s; this test makes a P-256 key", rep.Algorithm)
	}
	real, err := conformance.Run(t.Context(), conformance.Subject{
		Open: func(context.Context) (provider.Key, error) {
			k, err := x509.ParsePKCS8PrivateKey(der) // a copy for each handle: Close zeroes the key
			if err != nil {
				return nil, err
			}
			return pemkey.New(k.(crypto.Signer), "")
		},
		Goroutines: 1, OpsPerGoroutine: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Checks {
		i := slices.IndexFunc(real.Checks, func(r conformance.Result) bool { return r.Name == c.Name })
		if i < 0 {
			t.Errorf("the example's check %q is no check of the suite", c.Name)
			continue
		}
		r := real.Checks[i]
		if c.Description != r.Description || c.Standard != r.Standard || c.Status != r.Status || c.Reason != r.Reason || c.Vectors != r.Vectors {
			t.Errorf("the example's check %q says %+v;\nthe code writes %+v", c.Name, c, r)
		}
	}
	var js bytes.Buffer
	if err := real.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(example, []byte(`"schema_version": 1,`)) || !bytes.Contains(js.Bytes(), []byte(`"schema_version": 1,`)) {
		t.Errorf("the example and the code do not both write schema_version 1")
	}
}
