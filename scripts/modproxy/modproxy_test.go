package main

import (
	"archive/zip"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/modfile"
	modzip "golang.org/x/mod/zip"
)

// writeTree makes a repository of two released modules (example.com/r at
// the root, example.com/r/a nested), a module of tests only that go.work
// uses (example.com/r/a/it), which is not released, and one that it does not
// use (example.com/r/t); files maps extra files to their contents.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	base := map[string]string{
		"go.mod":          "module example.com/r\n\ngo 1.26.0\n",
		"r.go":            "package r\n",
		"go.work":         "go 1.26.0\n\nuse (\n\t.\n\t./a\n\t./a/it\n)\n",
		"a/it/go.mod":     "module example.com/r/a/it\n\ngo 1.26.0\n\nrequire example.com/r/a v0.0.0-00010101000000-000000000000\n",
		"a/it/it_test.go": "package a_test\n",
		"a/go.mod":        "module example.com/r/a\n\ngo 1.26.0\n\nrequire (\n\texample.com/r v0.0.0-00010101000000-000000000000\n\tgolang.org/x/mod v0.43.0\n)\n",
		"a/a.go":          "package a\n",
		"t/go.mod":        "module example.com/r/t\n\ngo 1.26.0\n\nrequire example.com/r v0.0.0-00010101000000-000000000000\n",
		"t/t.go":          "package t\n",
		"_b/go.mod":       "module example.com/ignored\n\nrequire example.com/r v0.0.1\n",
	}
	for name, data := range files {
		base[name] = data
	}
	for name, data := range base {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// requires returns the required version of each module in go.mod name.
func requires(t *testing.T, name string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse(name, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, r := range f.Require {
		m[r.Mod.Path] = r.Mod.Version
	}
	return m
}

// workReplaces returns go.work's replace lines as "PATH VERSION => DIR".
func workReplaces(t *testing.T, root string) []string {
	t.Helper()
	name := filepath.Join(root, "go.work")
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	wf, err := modfile.ParseWork(name, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rs []string
	for _, r := range wf.Replace {
		rs = append(rs, r.Old.Path+" "+r.Old.Version+" => "+r.New.Path)
	}
	slices.Sort(rs)
	return rs
}

// TestSetVersion: every requirement on a module of the tree, in released and
// test-only modules alike, moves to the version, other requirements and
// ignored directories stay, and go.work replaces each released module at that
// version only, also when run again for another version.
func TestSetVersion(t *testing.T) {
	root := writeTree(t, nil)
	for _, v := range []string{"v0.1.0", "v0.2.0-rc.1"} {
		if err := SetVersion(root, v); err != nil {
			t.Fatal(err)
		}
		if got := requires(t, filepath.Join(root, "a", "go.mod")); got["example.com/r"] != v || got["golang.org/x/mod"] != "v0.43.0" {
			t.Errorf("a/go.mod requires %v after set-version %s", got, v)
		}
		if got := requires(t, filepath.Join(root, "t", "go.mod")); got["example.com/r"] != v {
			t.Errorf("t/go.mod requires %v after set-version %s", got, v)
		}
		if got := requires(t, filepath.Join(root, "a", "it", "go.mod")); got["example.com/r/a"] != v {
			t.Errorf("a/it/go.mod requires %v after set-version %s", got, v)
		}
		if got := requires(t, filepath.Join(root, "_b", "go.mod")); got["example.com/r"] != "v0.0.1" {
			t.Errorf("_b/go.mod (ignored by the go command) was changed: %v", got)
		}
		want := []string{"example.com/r " + v + " => ./", "example.com/r/a " + v + " => ./a"}
		if got := workReplaces(t, root); !slices.Equal(got, want) {
			t.Errorf("go.work replaces %q after set-version %s, want %q", got, v, want)
		}
		if got, err := TreeVersion(root); got != v || err != nil {
			t.Errorf("TreeVersion = %q, %v; want %s", got, err, v)
		}
	}
}

// TestSetVersionRefuses: a replace of a module of the tree, and versions
// that are not canonical semantic versions, are errors that change nothing.
func TestSetVersionRefuses(t *testing.T) {
	tests := []struct {
		name, version, gomod, want string
	}{
		{"replace", "v0.1.0", "module example.com/r/a\n\nrequire example.com/r v0.0.1\n\nreplace example.com/r => ../\n", "a/go.mod:5: replace example.com/r: remove it"},
		{"no v", "0.1.0", "", `version "0.1.0": want a canonical semantic version`},
		{"short", "v0.1", "", `version "v0.1": want a canonical semantic version`},
		{"empty", "", "", `version "": want a canonical semantic version`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			if tt.gomod != "" {
				files["a/go.mod"] = tt.gomod
			}
			root := writeTree(t, files)
			before, err := os.ReadFile(filepath.Join(root, "go.work"))
			if err != nil {
				t.Fatal(err)
			}
			err = SetVersion(root, tt.version)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("SetVersion(%q) = %v, want an error containing %q", tt.version, err, tt.want)
			}
			if after, _ := os.ReadFile(filepath.Join(root, "go.work")); string(after) != string(before) {
				t.Errorf("go.work changed by a refused set-version:\n%s", after)
			}
		})
	}
}

// TestTags: the root module's tag is the version; a nested module's is
// prefixed with its directory; a module of tests only has none.
func TestTags(t *testing.T) {
	root := writeTree(t, nil)
	mods, err := Released(root)
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, m := range mods {
		tag, err := m.Tag("v1.2.3")
		if err != nil {
			t.Fatal(err)
		}
		tags = append(tags, tag)
	}
	if want := []string{"v1.2.3", "a/v1.2.3"}; !slices.Equal(tags, want) {
		t.Errorf("tags %q, want %q", tags, want)
	}
}

// TestPublish: the proxy holds list, info, mod and zip for each released
// module and nothing for a module of tests only; the root module's zip
// leaves the nested module out; a second
// version is added to the list; and the go command itself downloads both
// modules from it (GOPROXY=file://…).
func TestPublish(t *testing.T) {
	root := writeTree(t, nil)
	if err := SetVersion(root, "v0.1.0"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stamp := time.Date(2026, 12, 7, 17, 0, 0, 0, time.UTC)
	for _, v := range []string{"v0.1.0", "v0.1.1"} {
		if err := Publish(root, v, dir, stamp); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "example.com", "r", "a", "it")); !os.IsNotExist(err) {
		t.Errorf("the module of tests only was published (%v)", err)
	}
	list, err := os.ReadFile(filepath.Join(dir, "example.com", "r", "a", "@v", "list"))
	if err != nil || string(list) != "v0.1.0\nv0.1.1\n" {
		t.Errorf("a's list %q, %v", list, err)
	}
	var info struct {
		Version string
		Time    time.Time
	}
	data, err := os.ReadFile(filepath.Join(dir, "example.com", "r", "@v", "v0.1.0.info"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &info); err != nil || info.Version != "v0.1.0" || !info.Time.Equal(stamp) {
		t.Errorf("v0.1.0.info %s: %+v, %v", data, info, err)
	}
	mod, err := os.ReadFile(filepath.Join(dir, "example.com", "r", "a", "@v", "v0.1.0.mod"))
	if want, _ := os.ReadFile(filepath.Join(root, "a", "go.mod")); err != nil || string(mod) != string(want) {
		t.Errorf("a's v0.1.0.mod %q, want its go.mod %q (%v)", mod, want, err)
	}
	zipName := filepath.Join(dir, "example.com", "r", "@v", "v0.1.0.zip")
	zr, err := zip.OpenReader(zipName)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	zr.Close()
	slices.Sort(names)
	// The root module's zip holds its own files only: a/ is a module of its
	// own, t/ and _b/ too.
	if want := []string{"example.com/r@v0.1.0/go.mod", "example.com/r@v0.1.0/go.work", "example.com/r@v0.1.0/r.go"}; !slices.Equal(names, want) {
		t.Errorf("root zip holds %q, want %q", names, want)
	}
	if _, err := modzip.CheckZip(moduleVersion("example.com/r", "v0.1.0"), zipName); err != nil {
		t.Errorf("CheckZip: %v", err)
	}

	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	cmd := exec.Command(gobin, "mod", "download", "-json", "example.com/r@v0.1.1", "example.com/r/a@v0.1.0")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-modcacherw", "GOMODCACHE="+t.TempDir(),
		"GOPROXY=file://"+filepath.ToSlash(dir), "GONOSUMDB=example.com", "GOSUMDB=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go mod download from the published proxy: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `"Version": "v0.1.1"`) || !strings.Contains(string(out), `"Path": "example.com/r/a"`) {
		t.Errorf("go mod download printed %s", out)
	}
}
