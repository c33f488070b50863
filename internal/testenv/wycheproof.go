package testenv

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tinywindow/tinywindow/internal/wycheproof"
)

// WycheproofVersion is the pinned version of the Wycheproof test vectors,
// fetched through the Go module proxy as Go's own crypto tests do.
const WycheproofVersion = wycheproof.Module

var wycheproofDownload struct {
	once sync.Once
	dir  string
	err  error
}

// WycheproofFile returns the path of a file of Wycheproof's testvectors_v1
// folder, downloading the pinned module on first use.
func WycheproofFile(t testing.TB, name string) string {
	t.Helper()
	wycheproofDownload.once.Do(func() {
		out, err := exec.Command("go", "mod", "download", "-json", WycheproofVersion).Output()
		if err != nil {
			wycheproofDownload.err = err
			return
		}
		var m struct{ Dir, Error string }
		if err := json.Unmarshal(out, &m); err != nil {
			wycheproofDownload.err = err
			return
		}
		if m.Dir == "" {
			wycheproofDownload.err = &exec.Error{Name: "go mod download", Err: errString(m.Error)}
			return
		}
		wycheproofDownload.dir = m.Dir
	})
	if wycheproofDownload.err != nil {
		Need(t, "the Wycheproof test vectors ("+wycheproofDownload.err.Error()+")", "run go mod download -json "+WycheproofVersion+" with the Go module proxy reachable")
	}
	return filepath.Join(wycheproofDownload.dir, "testvectors_v1", name)
}

type errString string

func (e errString) Error() string { return string(e) }
