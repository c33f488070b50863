package audit

import (
	"bytes"
	"io/fs"
	"strconv"
)

// clockDaemons are the time daemons clockSource looks for, in order: the
// pid files each writes (relative to the root), the name its process has
// in /proc/PID/comm, and the Source it is given. systemd-timesyncd writes
// no pid file; the file it touches once it has synchronised the clock
// stands for it.
var clockDaemons = []struct {
	pidFiles []string
	comm     string
	source   string
}{
	{[]string{"run/chrony/chronyd.pid", "var/run/chrony/chronyd.pid", "run/chronyd.pid", "var/run/chronyd.pid"}, "chronyd", "chrony"},
	{[]string{"run/ntpd.pid", "var/run/ntpd.pid"}, "ntpd", "ntpd"},
	{[]string{"run/systemd/timesync/synchronized"}, "", "systemd-timesyncd"},
}

// clockSource names the daemon that disciplines the clock of the system
// whose root is root: the first of clockDaemons whose pid file names a
// running process of its name (or, for one without a pid file, whose file
// exists), else SourceUnknown. It reads a few small files, so that every
// checkpoint can afford it.
func clockSource(root fs.FS) string {
	for _, d := range clockDaemons {
		for _, p := range d.pidFiles {
			b, err := fs.ReadFile(root, p)
			if err != nil {
				continue
			}
			if d.comm == "" {
				return d.source
			}
			pid, err := strconv.Atoi(string(bytes.TrimSpace(b)))
			if err != nil || pid <= 0 {
				continue
			}
			comm, err := fs.ReadFile(root, "proc/"+strconv.Itoa(pid)+"/comm")
			if err == nil && string(bytes.TrimSpace(comm)) == d.comm {
				return d.source
			}
		}
	}
	return SourceUnknown
}
