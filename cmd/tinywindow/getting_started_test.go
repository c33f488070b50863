package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
)

// TestGettingStarted runs every shell block of docs/getting-started.md, in
// order, in one bash with -e: SoftHSM2 token, a key made in it, its public
// key, a venue that verifies with that public key alone, orders signed in
// the token and sent to it, and the audit log verified. The only changes
// are the venue's port (a free one) and a tinywindow built from this tree
// first on PATH, so the page's go install line is not run.
func TestGettingStarted(t *testing.T) {
	if _, err := exec.LookPath("softhsm2-util"); err != nil {
		testenv.Need(t, "softhsm2-util", "apt-get install softhsm2 (scripts/setup.d/20-softhsm.sh does)")
	}
	if os.Getuid() != 0 {
		t.Skip("the page's apt-get line needs root")
	}
	page, err := os.ReadFile(filepath.Join("..", "..", "docs", "getting-started.md"))
	if err != nil {
		t.Fatal(err)
	}
	var script strings.Builder
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(page), -1) {
		script.WriteString(m[1])
	}
	if !strings.Contains(script.String(), "tinywindow demo") || !strings.Contains(script.String(), "pub-source=file:orders.pub.pem") {
		t.Fatalf("the page's commands lack the demo or the public-key venue:\n%s", script.String())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	run := strings.ReplaceAll(script.String(), "127.0.0.1:9400", "127.0.0.1:"+port)

	bin := buildBinary(t)
	dir := t.TempDir()
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", run)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"), "DEBIAN_FRONTEND=noninteractive")
	// Its own process group, so that a venue left behind by a failing
	// command is ended with the rest.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.CombinedOutput()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if err != nil {
		t.Fatalf("the page's commands failed: %v\n%s", err, out)
	}
	for _, want := range []string{"venue listening on", "audit       verified", "intact", "is in log"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "tw-start", "venue-state")); err != nil {
		t.Errorf("the venue kept no state: %v", err)
	}
}
