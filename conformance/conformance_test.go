package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// broken wraps a good key and breaks one behaviour, to show that the suite
// notices.
type broken struct {
	*hmac.Key
	verify func(k *hmac.Key, ctx context.Context, msg, sig []byte) error
	sign   func(k *hmac.Key, ctx context.Context, msg []byte) ([]byte, error)
	close  func(k *hmac.Key) error
	det    *bool
}

func (b *broken) Verify(ctx context.Context, msg, sig []byte) error {
	if b.verify != nil {
		return b.verify(b.Key, ctx, msg, sig)
	}
	return b.Key.Verify(ctx, msg, sig)
}

func (b *broken) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	if b.sign != nil {
		return b.sign(b.Key, ctx, msg)
	}
	return b.Key.Sign(ctx, msg)
}

func (b *broken) Close() error {
	if b.close != nil {
		return b.close(b.Key)
	}
	return b.Key.Close()
}

func TestSuiteCatchesBrokenBackends(t *testing.T) {
	for _, tc := range []struct {
		name  string
		key   func() *broken
		fails []string
	}{
		{
			name: "accepts everything",
			key: func() *broken {
				return &broken{verify: func(*hmac.Key, context.Context, []byte, []byte) error { return nil }}
			},
			fails: []string{"reject/tampered", "reject/truncated", "reject/extended", "reject/empty", "reject/nil", "reject/changed-message", "reject/other-key"},
		},
		{
			name: "reports forgeries as outages",
			key: func() *broken {
				return &broken{verify: func(k *hmac.Key, ctx context.Context, msg, sig []byte) error {
					if err := k.Verify(ctx, msg, sig); err != nil {
						return errors.New("something went wrong")
					}
					return nil
				}}
			},
			fails: []string{"reject/tampered", "reject/empty", "reject/other-key"},
		},
		{
			name: "ignores the context",
			key: func() *broken {
				return &broken{verify: func(k *hmac.Key, _ context.Context, msg, sig []byte) error {
					return k.Verify(context.Background(), msg, sig)
				}}
			},
			fails: []string{"context/cancelled"},
		},
		{
			name: "claims randomness",
			key: func() *broken {
				f := false
				return &broken{det: &f}
			},
			fails: []string{"determinism"},
		},
		{
			name: "close twice fails",
			key: func() *broken {
				n := 0
				return &broken{close: func(k *hmac.Key) error {
					if n++; n > 1 {
						return errors.New("already closed")
					}
					return k.Close()
				}}
			},
			fails: []string{"close/idempotent"},
		},
		{
			name: "empty signatures",
			key: func() *broken {
				return &broken{sign: func(*hmac.Key, context.Context, []byte) ([]byte, error) { return nil, nil }}
			},
			fails: []string{"roundtrip/0B", "roundtrip/64B"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			open := func(context.Context) (provider.Key, error) {
				b := tc.key()
				b.Key = hmac.NewFromSeed(42)
				if b.det != nil {
					return &declared{b, *b.det}, nil
				}
				return b, nil
			}
			rep, err := conformance.Run(context.Background(), conformance.Subject{
				Open:  open,
				Other: conformance.OpenURI("hmac:seed=43"),
			})
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() {
				t.Fatal("the suite passed a broken backend")
			}
			status := map[string]conformance.Status{}
			for _, c := range rep.Checks {
				status[c.Name] = c.Status
			}
			for _, name := range tc.fails {
				if status[name] != conformance.Fail {
					t.Errorf("check %s: %s, want fail", name, status[name])
				}
			}
		})
	}
}

type declared struct {
	*broken
	det bool
}

func (d *declared) Deterministic() bool { return d.det }

func TestReportFormats(t *testing.T) {
	rep, err := conformance.Run(context.Background(), conformance.Subject{Open: conformance.OpenURI("hmac:seed=42")})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var decoded struct {
		Backend, KeyID, Algorithm, GoVersion string
		Checks                               []map[string]any
	}
	if err := json.Unmarshal(buf.Bytes(), &decoded); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	json.Unmarshal(buf.Bytes(), &raw)
	for _, field := range []string{"backend", "key_id", "algorithm", "go_version", "modules", "time", "checks"} {
		if _, ok := raw[field]; !ok {
			t.Errorf("JSON report lacks %q", field)
		}
	}
	if len(decoded.Checks) != len(conformance.Checks()) {
		t.Fatalf("%d checks in the report, %d in the suite", len(decoded.Checks), len(conformance.Checks()))
	}
	for _, c := range decoded.Checks {
		for _, field := range []string{"name", "status", "duration_ns"} {
			if _, ok := c[field]; !ok {
				t.Errorf("check %v lacks %q", c["name"], field)
			}
		}
		if c["status"] == "skip" && c["reason"] == nil {
			t.Errorf("check %v skipped without a reason", c["name"])
		}
	}
	buf.Reset()
	if err := rep.WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{"# TinyWindow conformance report", "| `reject/other-key` | skip |", rep.KeyID} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown report lacks %q", want)
		}
	}
}
