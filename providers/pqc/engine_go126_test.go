//go:build !go1.27

package pqc_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

const stdAvailable = false

// TestStdNeedsGo127 checks that engine=std, built with Go 1.26, is a clear
// ErrUnsupported saying it needs Go 1.27.
func TestStdNeedsGo127(t *testing.T) {
	_, err := pqc.NewFromSeed(testSeed(32, 1), pqc.Options{Engine: pqc.EngineStd})
	if !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "needs Go 1.27") {
		t.Fatalf("engine=std with Go 1.26: %v, want ErrUnsupported saying it needs Go 1.27", err)
	}
}
