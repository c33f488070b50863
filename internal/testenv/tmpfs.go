package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Tmpfs mounts a tmpfs of the given size ("1m") on a new directory of mode
// 0700 and returns it; the test's cleanup unmounts it. A real file system
// that fills up gives the tests a real write error (ENOSPC). Mounting needs
// root: where it fails, the test ends as [Need] says.
func Tmpfs(t testing.TB, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		Need(t, "a tmpfs mount ("+string(out)+")", "run the tests as root, or where mount -t tmpfs is allowed")
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("unmounting %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// ResizeTmpfs changes the size of the tmpfs that [Tmpfs] mounted on dir.
func ResizeTmpfs(t testing.TB, dir, size string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,size="+size, dir).CombinedOutput(); err != nil {
		t.Fatalf("resizing the tmpfs on %s: %v: %s", dir, err, out)
	}
}
