package remote_test

import (
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tinywindow/tinywindow/service"
)

// mustYAML renders a config as the YAML a user would write, so that tests go
// through ParseConfig's checks and defaults.
func mustYAML(t testing.TB, c *service.Config) []byte {
	t.Helper()
	b, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
