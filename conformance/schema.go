package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
)

// SchemaVersion is the version of the JSON report's layout, which
// docs/conformance.md documents field by field. It changes when a field is
// removed, renamed or given another meaning; added fields keep it.
const SchemaVersion = 1

// ErrUnknownSchema is matched by the error of CheckSchema for a JSON report
// whose schema_version this package does not know.
var ErrUnknownSchema = errors.New("unknown conformance report schema")

// CheckSchema checks that report is a JSON conformance report of a schema
// this package reads: an object whose suite is "tinywindow-conformance" and
// whose schema_version is SchemaVersion.
func CheckSchema(report []byte) error {
	var head struct {
		Suite         string `json:"suite"`
		SchemaVersion *int   `json:"schema_version"`
	}
	if err := json.Unmarshal(report, &head); err != nil {
		return fmt.Errorf("the report is not JSON: %w", err)
	}
	switch {
	case head.Suite != suiteName:
		return fmt.Errorf("%w: suite %q, want %q", ErrUnknownSchema, clip(head.Suite), suiteName)
	case head.SchemaVersion == nil:
		return fmt.Errorf("%w: the report has no schema_version", ErrUnknownSchema)
	case *head.SchemaVersion != SchemaVersion:
		return fmt.Errorf("%w: schema_version %d; this program reads %d: use a release that knows it", ErrUnknownSchema, *head.SchemaVersion, SchemaVersion)
	}
	return nil
}
