package main

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

// Module is one module of the repository.
type Module struct {
	// Path is the module path from its go.mod.
	Path string
	// Dir is its directory relative to the repository root, "." for the
	// root module, with forward slashes.
	Dir string
}

// Tag returns the Git tag that releases m at version: version itself for the
// module at the repository root, DIR/version for a nested one.
func (m Module) Tag(version string) (string, error) {
	if err := checkVersion(version); err != nil {
		return "", err
	}
	if m.Dir == "." {
		return version, nil
	}
	return m.Dir + "/" + version, nil
}

// checkVersion refuses what is not a canonical semantic version with its v.
func checkVersion(version string) error {
	if version == "" || semver.Canonical(version) != version {
		return fmt.Errorf("version %q: want a canonical semantic version such as v0.1.0 or v0.2.0-rc.1", version)
	}
	return nil
}

// Released returns the modules a release publishes and tags: those that
// root's go.work uses, in its order, except a module that holds only tests
// (such as providers/remote/integration, the remote client's tests against
// the service, which no user imports).
func Released(root string) ([]Module, error) {
	name := filepath.Join(root, "go.work")
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read the released modules: %w", err)
	}
	wf, err := modfile.ParseWork(name, data, nil)
	if err != nil {
		return nil, err
	}
	var mods []Module
	for _, u := range wf.Use {
		dir := path.Clean(filepath.ToSlash(u.Path))
		if path.IsAbs(dir) || dir == ".." || strings.HasPrefix(dir, "../") {
			return nil, fmt.Errorf("%s: use %s: a released module must lie inside the repository", name, u.Path)
		}
		p, err := modulePath(filepath.Join(root, filepath.FromSlash(dir), "go.mod"))
		if err != nil {
			return nil, err
		}
		only, err := testOnly(filepath.Join(root, filepath.FromSlash(dir)))
		if err != nil {
			return nil, err
		}
		if !only {
			mods = append(mods, Module{Path: p, Dir: dir})
		}
	}
	return mods, nil
}

// testOnly reports whether the module in dir has no Go file but tests,
// leaving out nested modules and the directories the go command ignores.
func testOnly(dir string) (bool, error) {
	only := true
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p == dir {
				return nil
			}
			if ignoredDir(d.Name()) {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), ".go") && !strings.HasSuffix(d.Name(), "_test.go") {
			only = false
			return filepath.SkipAll
		}
		return nil
	})
	return only, err
}

// ignoredDir reports whether the go command ignores a directory of this
// name when it matches packages.
func ignoredDir(name string) bool {
	return name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// modFiles returns every go.mod under root, released or not (test-only
// modules too), skipping testdata, vendor and directories whose name starts
// with "." or "_", which the go command ignores as well.
func modFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			n := d.Name()
			if p != root && ignoredDir(n) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == "go.mod" {
			files = append(files, p)
		}
		return nil
	})
	return files, err
}

// modulePath reads the module path of the go.mod file name.
func modulePath(name string) (string, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return "", err
	}
	p := modfile.ModulePath(data)
	if p == "" {
		return "", fmt.Errorf("%s: no module directive", name)
	}
	return p, nil
}

// inTree reports whether module path p belongs to the repository whose root
// module path is rootPath.
func inTree(p, rootPath string) bool {
	return p == rootPath || strings.HasPrefix(p, rootPath+"/")
}
