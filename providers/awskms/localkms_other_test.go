//go:build !linux

package awskms_test

import "os/exec"

// dieWithParent does nothing where the kernel offers no parent-death signal;
// Stop ends local-kms.
func dieWithParent(*exec.Cmd) {}
