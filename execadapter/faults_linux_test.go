package execadapter_test

import "syscall"

// minorFaults returns the process's minor page faults so far, and true.
func minorFaults() (int64, bool) {
	var r syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &r) != nil {
		return 0, false
	}
	return r.Minflt, true
}
