//go:build !linux

package audit

// lowerThreadPriority does nothing where per-thread priorities are not
// available through the syscall package.
func lowerThreadPriority() {}
