//go:build !linux

package execadapter_test

// minorFaults is not measured here.
func minorFaults() (int64, bool) { return 0, false }
