package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
)

// SetVersion sets every requirement on a module of the repository at root,
// in every go.mod under root, to version. It refuses a go.mod with a replace
// directive for a module of the repository: go install MODULE@VERSION
// refuses replace directives, and go.work ties the tree together instead.
func SetVersion(root, version string) error {
	if err := checkVersion(version); err != nil {
		return fmt.Errorf("set-version: %w", err)
	}
	rootPath, err := modulePath(filepath.Join(root, "go.mod"))
	if err != nil {
		return fmt.Errorf("set-version: %w", err)
	}
	files, err := modFiles(root)
	if err != nil {
		return fmt.Errorf("set-version: %w", err)
	}
	for _, name := range files {
		if err := setVersionIn(name, rootPath, version); err != nil {
			return fmt.Errorf("set-version: %w", err)
		}
	}
	if err := setWorkVersion(root, version); err != nil {
		return fmt.Errorf("set-version: %w", err)
	}
	return nil
}

// setWorkVersion makes root's go.work replace each released module at
// version by its directory, and no other version of a module of the tree.
// Without it the go command would look the required versions up in the
// module proxy even though go.work uses their directories (and a version
// about to be released is not there yet).
func setWorkVersion(root, version string) error {
	mods, err := Released(root)
	if err != nil {
		return err
	}
	name := filepath.Join(root, "go.work")
	data, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	wf, err := modfile.ParseWork(name, data, nil)
	if err != nil {
		return err
	}
	for _, r := range slices.Clone(wf.Replace) {
		if slices.ContainsFunc(mods, func(m Module) bool { return m.Path == r.Old.Path }) {
			if err := wf.DropReplace(r.Old.Path, r.Old.Version); err != nil {
				return err
			}
		}
	}
	for _, m := range mods {
		if err := wf.AddReplace(m.Path, version, "./"+strings.TrimPrefix(m.Dir, "."), ""); err != nil {
			return err
		}
	}
	wf.Cleanup()
	return os.WriteFile(name, modfile.Format(wf.Syntax), 0o644)
}

// setVersionIn rewrites one go.mod file, keeping its layout and comments.
func setVersionIn(name, rootPath, version string) error {
	data, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	f, err := modfile.Parse(name, data, nil)
	if err != nil {
		return err
	}
	for _, r := range f.Replace {
		if inTree(r.Old.Path, rootPath) {
			return fmt.Errorf("%s:%d: replace %s: remove it (go install refuses replace directives; go.work ties the tree together)", name, r.Syntax.Start.Line, r.Old.Path)
		}
	}
	changed := false
	for _, r := range f.Require {
		if inTree(r.Mod.Path, rootPath) && r.Mod.Version != version {
			if err := f.AddRequire(r.Mod.Path, version); err != nil {
				return err
			}
			changed = true
		}
	}
	if !changed {
		return nil
	}
	out, err := f.Format()
	if err != nil {
		return err
	}
	return os.WriteFile(name, out, 0o644)
}

// TreeVersion returns the version at which the modules of the tree at root
// require each other: the version go.work replaces the root module at.
func TreeVersion(root string) (string, error) {
	rootPath, err := modulePath(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	name := filepath.Join(root, "go.work")
	data, err := os.ReadFile(name)
	if err != nil {
		return "", err
	}
	wf, err := modfile.ParseWork(name, data, nil)
	if err != nil {
		return "", err
	}
	for _, r := range wf.Replace {
		if r.Old.Path == rootPath && r.Old.Version != "" {
			return r.Old.Version, nil
		}
	}
	return "", fmt.Errorf("%s: no replace of %s at a version: run scripts/release.sh's set-version (go run ./scripts/modproxy set-version -version VERSION)", name, rootPath)
}
