package hmac_test

import (
	"context"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/hmac"
)

func TestConformance(t *testing.T) {
	conformance.Test(t, conformance.Subject{
		Open:  conformance.OpenURI("hmac:seed=42"),
		Other: conformance.OpenURI("hmac:seed=43"),
	})
}

func TestConformanceReport(t *testing.T) {
	rep, err := conformance.Run(context.Background(), conformance.Subject{
		Open:  conformance.OpenURI("hmac:seed=42"),
		Other: func(ctx context.Context) (provider.Key, error) { return provider.Open(ctx, "hmac:seed=7") },
	})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Passed == 0 {
		t.Fatalf("report not OK: %+v", rep)
	}
	for _, c := range rep.Checks {
		if c.Status == conformance.Skip && c.Reason == "" {
			t.Errorf("check %s skipped without a reason", c.Name)
		}
	}
}
