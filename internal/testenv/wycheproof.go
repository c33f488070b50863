package testenv

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// WycheproofVersion is the pinned version of the Wycheproof test vectors,
// fetched through the Go module proxy as Go's own crypto tests do.
const WycheproofVersion = "github.com/C2SP/wycheproof@v0.0.0-20250901140545-b51abcfb8daf"

var wycheproof struct {
	once sync.Once
	dir  string
	err  error
}

// WycheproofFile returns the path of a file of Wycheproof's testvectors_v1
// folder, downloading the pinned module on first use.
func WycheproofFile(t testing.TB, name string) string {
	t.Helper()
	wycheproof.once.Do(func() {
		out, err := exec.Command("go", "mod", "download", "-json", WycheproofVersion).Output()
		if err != nil {
			wycheproof.err = err
			return
		}
		var m struct{ Dir, Error string }
		if err := json.Unmarshal(out, &m); err != nil {
			wycheproof.err = err
			return
		}
		if m.Dir == "" {
			wycheproof.err = &exec.Error{Name: "go mod download", Err: errString(m.Error)}
			return
		}
		wycheproof.dir = m.Dir
	})
	if wycheproof.err != nil {
		Need(t, "the Wycheproof test vectors ("+wycheproof.err.Error()+")", "run go mod download -json "+WycheproofVersion+" with the Go module proxy reachable")
	}
	return filepath.Join(wycheproof.dir, "testvectors_v1", name)
}

type errString string

func (e errString) Error() string { return string(e) }
