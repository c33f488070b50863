package composite_test

import (
	"testing"

	"github.com/tinywindow/tinywindow/execadapter/demo"
	"github.com/tinywindow/tinywindow/providers/composite"
)

// TestExecutionAdapterDemo runs the execution adapter's demo with a
// composite signer: every order is signed with both components, the
// in-process venue verifies both, and the audit log verifies.
func TestExecutionAdapterDemo(t *testing.T) {
	k, err := openComposite(t.Context(), softURI(t, composite.MLDSA65ECDSAP256SHA512, 51))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	res, err := demo.Run(t.Context(), demo.Options{Orders: 300, Key: k})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 0 || res.Accepted == 0 || !res.AuditVerified {
		t.Fatalf("demo: %d accepted, %d failed (%s), audit verified %v (%s)", res.Accepted, res.Failed, res.FirstError, res.AuditVerified, res.AuditError)
	}
	if res.Signer.Algorithm != composite.MLDSA65ECDSAP256SHA512 {
		t.Fatalf("demo signer %+v", res.Signer)
	}
}
