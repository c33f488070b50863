package conformance

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/provider"
)

// Run runs every check against the subject and returns the report. It returns
// an error only when the key cannot be opened at all.
func Run(ctx context.Context, s Subject) (*Report, error) {
	if s.Open == nil {
		return nil, errors.New("conformance: Subject.Open is nil")
	}
	start := time.Now()
	key, err := s.Open(ctx)
	if err != nil {
		return nil, fmt.Errorf("conformance: opening the key under test: %w", err)
	}
	defer key.Close()
	r := &run{subject: &s, key: key, alg: key.Info().Algorithm}
	rep := newReport(start)
	info := key.Info()
	rep.Backend, rep.KeyID, rep.Algorithm, rep.KeyVersion = info.Backend, info.ID, string(info.Algorithm), info.Version
	pub := rep.setPublicKey(key)
	if s.URI != "" {
		if u, err := provider.ParseURI(s.URI); err == nil {
			rep.Signer = u.Redacted()
		} else {
			rep.Signer = "(not a valid key URI; not shown)"
		}
	}
	if id, ok := key.(provider.Identifier); ok {
		ident, err := id.Identity(ctx)
		if err != nil {
			rep.IdentityError = err.Error()
		}
		rep.VerifyMode, rep.BackendIdentity = ident.VerifyMode, ident.Attributes
		rep.KeyProvenance = ident.Provenance
	}
	rep.Findings = keyFindings(key, pub, rep.KeyProvenance)
	for _, c := range checks {
		rep.add(runCheck(ctx, c, r))
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

func runCheck(ctx context.Context, c Check, r *run) (res Result) {
	start := time.Now()
	defer func() {
		res.Name, res.Description, res.Standard = c.Name, c.Description, c.standard(r.alg)
		res.Vectors, r.vectors = r.vectors, 0
		res.Duration = time.Since(start)
		if p := recover(); p != nil {
			res.Status, res.Reason = Fail, fmt.Sprintf("panic: %v", p)
		}
	}()
	st, why := c.run(ctx, r)
	return Result{Name: c.Name, Status: st, Reason: why}
}

// Test runs the suite as subtests of t, one per check: a failed check fails
// its subtest, and a skipped one is skipped with its reason. A check named in
// s.Deviations must fail instead, and its subtest fails if it passes.
func Test(t *testing.T, s Subject) {
	t.Helper()
	for name := range s.Deviations {
		if !knownCheck(name) {
			t.Errorf("conformance: Subject.Deviations names %q, which is no check of the suite", name)
		}
	}
	ctx := t.Context()
	key, err := s.Open(ctx)
	if err != nil {
		t.Fatalf("conformance: opening the key under test: %v", err)
	}
	t.Cleanup(func() { key.Close() })
	r := &run{subject: &s, key: key, alg: key.Info().Algorithm}
	for _, c := range checks {
		t.Run(c.Name, func(t *testing.T) {
			res := runCheck(ctx, c, r)
			failure, skip, note := s.judge(c, res)
			switch {
			case failure != "":
				t.Error(failure)
			case skip != "":
				t.Skip(skip)
			case note != "":
				t.Log(note)
			}
		})
	}
}

// judge turns a check's result into what Test reports: a failure, a skip or
// a note for a pass.
func (s *Subject) judge(c Check, res Result) (failure, skip, note string) {
	why, deviant := s.Deviations[c.Name]
	switch {
	case !deviant && res.Status == Fail:
		return fmt.Sprintf("%s: %s", c.Description, res.Reason), "", ""
	case res.Status == Skip:
		return "", res.Reason, ""
	case !deviant:
		return "", "", ""
	case res.Status == Fail:
		return "", "", fmt.Sprintf("fails, as a known deviation (%s): %s", why, res.Reason)
	}
	return fmt.Sprintf("%s: passes, although Subject.Deviations says it fails (%s); drop it from Deviations and from the documentation of the deviation", c.Description, why), "", ""
}

func knownCheck(name string) bool {
	for _, c := range checks {
		if c.Name == name {
			return true
		}
	}
	return false
}
