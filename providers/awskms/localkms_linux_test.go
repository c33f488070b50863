package awskms_test

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes local-kms end when the test binary ends, even when it
// dies of a panic or a test timeout before Stop runs.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
