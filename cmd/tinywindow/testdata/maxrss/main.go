// Command maxrss runs a command and prints its peak resident memory (KiB)
// and exit status on standard output, as "maxrss N exit C". The tests
// measure the tinywindow binary through it: a process started by the test
// process itself would report the test process's own peak, which Linux
// carries over the exec, and this process is small.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: maxrss COMMAND [ARG]...")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() < 0 {
			fmt.Fprintln(os.Stderr, "maxrss:", err)
			os.Exit(2)
		}
	}
	fmt.Printf("maxrss %d exit %d\n", cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss, cmd.ProcessState.ExitCode())
}
