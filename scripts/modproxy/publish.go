package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

// Publish writes every released module of the repository at root (see
// [Released]) at version into dir, laid out as a module proxy serves it, so
// that GOPROXY=file://DIR resolves them: for each module,
// ESCAPED/@v/list (version added to the versions already there),
// VERSION.info (version and t), VERSION.mod (its go.mod as it stands) and
// VERSION.zip (made by golang.org/x/mod/zip, which leaves out nested
// modules). Publish takes the files as they are: run [SetVersion] first so
// that the modules require each other at version, and publish a copy of the
// tracked files, not a work tree with build output in it.
func Publish(root, version, dir string, t time.Time) error {
	if err := checkVersion(version); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	mods, err := Released(root)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	for _, m := range mods {
		if err := publishModule(root, m, version, dir, t); err != nil {
			return fmt.Errorf("publish %s@%s: %w", m.Path, version, err)
		}
	}
	return nil
}

func publishModule(root string, m Module, version, dir string, t time.Time) error {
	esc, err := module.EscapePath(m.Path)
	if err != nil {
		return err
	}
	vdir := filepath.Join(dir, filepath.FromSlash(esc), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return err
	}
	src := filepath.Join(root, filepath.FromSlash(m.Dir))
	var z bytes.Buffer
	if err := zip.CreateFromDir(&z, moduleVersion(m.Path, version), src); err != nil {
		return err
	}
	gomod, err := os.ReadFile(filepath.Join(src, "go.mod"))
	if err != nil {
		return err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, t.UTC()})
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{
		{version + ".zip", z.Bytes()},
		{version + ".mod", gomod},
		{version + ".info", info},
	} {
		if err := os.WriteFile(filepath.Join(vdir, f.name), f.data, 0o644); err != nil {
			return err
		}
	}
	return addToList(filepath.Join(vdir, "list"), version)
}

// addToList adds version to the proxy's list file name, once.
func addToList(name, version string) error {
	data, err := os.ReadFile(name)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	versions := strings.Fields(string(data))
	if slices.Contains(versions, version) {
		return nil
	}
	versions = append(versions, version)
	return os.WriteFile(name, []byte(strings.Join(versions, "\n")+"\n"), 0o644)
}

func moduleVersion(p, v string) module.Version { return module.Version{Path: p, Version: v} }
