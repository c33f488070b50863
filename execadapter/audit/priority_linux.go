package audit

import "syscall"

// lowerThreadPriority gives the calling OS thread the lowest scheduling
// priority (nice 19). It is best effort: failure leaves the priority as it was.
func lowerThreadPriority() {
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
}
