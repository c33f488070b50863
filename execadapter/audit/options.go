package audit

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/tinywindow/tinywindow/internal/recordfile"
	"github.com/tinywindow/tinywindow/provider"
)

// Durability says when an appended record is on stable storage.
type Durability int

const (
	// Always writes and fsyncs every record before Append returns (records
	// appended at once by several goroutines share one fsync). Loss window:
	// none for records whose Append returned nil.
	Always Durability = iota + 1
	// Batch appends to memory and lets a background goroutine write and
	// fsync everything pending every BatchInterval (group commit). Loss
	// window: the records after Durable(), those whose Append returned
	// since the last fsync (within the last BatchInterval plus the time of
	// one write and fsync, unless back-pressure wrote them sooner), are
	// lost if the process or machine dies. They are lost too, with the
	// process alive, when a write or fsync fails (a full disk): the failure
	// is sticky, so the Append that meets it and every later one fail with
	// ErrNotDurable and nothing appended after it is acknowledged, but the
	// records already appended and not yet written are never written.
	// Records written but not yet fsynced when a write fails stay in the
	// file unless the machine dies; reopening cuts the partial record.
	Batch
)

func (d Durability) String() string {
	switch d {
	case Always:
		return "always"
	case Batch:
		return "batch"
	}
	return fmt.Sprintf("durability(%d)", int(d))
}

// ParseDurability parses "always" or "batch".
func ParseDurability(s string) (Durability, error) {
	switch s {
	case "always":
		return Always, nil
	case "batch":
		return Batch, nil
	}
	return 0, fmt.Errorf("%w: durability %q; use always or batch", provider.ErrInvalidConfig, s)
}

// File is what a Writer needs of its file; *os.File is one. Tests put a
// failing file behind it to play a full disk.
type File interface {
	io.Reader
	io.Writer
	io.Seeker
	Sync() error
	Truncate(size int64) error
	Close() error
}

// Options configure a Writer.
type Options struct {
	// Signer signs checkpoints. Required. An Ed25519 key makes standard
	// C2SP signed notes; any other key signs with signature type 0xff
	// "tinywindow.dev/audit-checkpoint-v1/ALG" over CheckpointDomain and the
	// note text (see docs/execadapter.md).
	Signer provider.Signer
	// Origin names the log in its checkpoints (the first line of the
	// C2SP checkpoint, and the signed-note key name). Default: the origin
	// of the log's checkpoints, or for a new log
	// "tinywindow.dev/audit/" and 16 random hex digits.
	Origin string
	// Durability is Always or Batch (the default).
	Durability Durability
	// BatchInterval is the group-commit period of Batch (default 2ms).
	BatchInterval time.Duration
	// BatchBytes is the pending-records mark of Batch past which Append
	// applies back-pressure, so that memory stays bounded when the flusher
	// falls behind and no record is ever dropped. An Append that finds more
	// than BatchBytes pending while the flusher is idle hashes and writes
	// them itself; while the flusher is busy hashing and writing, Appends
	// go on buffering up to twice BatchBytes, and past that wait for it and
	// write the rest. No Append waits for an fsync. [Writer.Stats] counts these
	// Appends. The default is 1 MiB for each 2ms of BatchInterval (1 MiB
	// at least, 16 MiB at most). A [Writer] holds two buffers of twice
	// BatchBytes and 64 KiB, resident from [Open] to [Writer.Close].
	BatchBytes int
	// CheckpointEvery is the largest number of records between two
	// checkpoints (default 65536); CheckpointInterval the longest time
	// (default 1s). Open and Close always write one.
	CheckpointEvery    int
	CheckpointInterval time.Duration
	// CheckpointTimeout bounds the signing of one checkpoint (default 5s).
	// Signing runs outside the writer's lock: a slow signer never delays
	// Append. A failure is counted (Stats) and logged, and the next flush
	// tries again.
	CheckpointTimeout time.Duration
	// CheckpointsPath is the checkpoints file every checkpoint is appended
	// to, with the cosignatures of the witnesses (default: the log's path
	// and ".checkpoints").
	CheckpointsPath string
	// Witnesses receive every checkpoint over C2SP tlog-witness. A witness
	// that is down or slow never delays Append: the latest checkpoint waits
	// for it and is sent when it answers.
	Witnesses []Witness
	// Trails receive every checkpoint as witnesses do (see [Trail]): a
	// trail that is down or slow never delays Append, and only the latest
	// checkpoint waits for it, so memory stays bounded. [Writer.AddTrails]
	// adds one to an open Writer.
	Trails []Trail
	// Clock reads the host clock's state for each checkpoint's clock line
	// (default ReadClock); it is called just before the checkpoint is
	// signed, off the path of Append, and must be safe to call from any
	// goroutine. A reader returning the zero Clock writes checkpoints without
	// a clock line, as logs written before clock lines are; one returning
	// a Clock no line can carry (a negative error, a source with a space)
	// is logged and written as "clock unknown".
	Clock func() Clock
	// Logger receives a line for each failed checkpoint signature, witness
	// request and trail request (default slog.Default()).
	Logger *slog.Logger
	// OpenFile opens the log file for reading and writing, creating it if
	// needed. The default creates it with mode 0600 and fsyncs its
	// directory, and refuses an existing file that group or others can
	// write.
	OpenFile func(path string) (File, error)
}

// defaultBatchBytes is BatchBytes's default for a group-commit period: 1
// MiB for each 2ms, between 1 and 16 MiB.
func defaultBatchBytes(interval time.Duration) int {
	// Two periods of records at 250 MB/s, so that a longer period does not
	// turn every flush into back-pressure (docs/performance.md, "The audit
	// log's share").
	return int(min(max(interval/(2*time.Millisecond), 1), 16)) << 20
}

// withDefaults returns o with every unset option set to its default for a
// log at path, or an error for an option that is invalid.
func (o Options) withDefaults(path string) (Options, error) {
	if o.Signer == nil {
		return o, fmt.Errorf("%w: audit log needs a signer for its checkpoints", provider.ErrInvalidConfig)
	}
	if o.Durability == 0 {
		o.Durability = Batch
	}
	if o.Durability != Always && o.Durability != Batch {
		return o, fmt.Errorf("%w: audit durability %d; use Always or Batch", provider.ErrInvalidConfig, o.Durability)
	}
	if o.BatchInterval <= 0 {
		o.BatchInterval = 2 * time.Millisecond
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = defaultBatchBytes(o.BatchInterval)
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = 1 << 16
	}
	if o.CheckpointInterval <= 0 {
		o.CheckpointInterval = time.Second
	}
	if o.CheckpointTimeout <= 0 {
		o.CheckpointTimeout = 5 * time.Second
	}
	if o.CheckpointsPath == "" {
		o.CheckpointsPath = path + ".checkpoints"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = ReadClock
	}
	if o.OpenFile == nil {
		o.OpenFile = func(p string) (File, error) { return recordfile.OpenFile(p, os.O_RDWR) }
	}
	return o, nil
}
