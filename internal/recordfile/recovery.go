package recordfile

import "fmt"

// Recovery says what opening a record file found and what it cut.
type Recovery struct {
	Records          uint64 // intact records found
	TruncatedRecords uint64 // incomplete records cut from a torn tail (0 or 1)
	TruncatedBytes   int64  // bytes of torn tail removed (0 when none)
	TruncatedAt      int64  // offset the file was truncated to
}

// String says what was cut, in one line.
func (r Recovery) String() string {
	if r.TruncatedBytes == 0 {
		return fmt.Sprintf("%d records intact, nothing cut", r.Records)
	}
	return fmt.Sprintf("%d records intact; cut a torn tail of %d incomplete record (%d bytes at byte %d)", r.Records, r.TruncatedRecords, r.TruncatedBytes, r.TruncatedAt)
}

// Truncater is what [Cut] needs of a file; *os.File is one.
type Truncater interface {
	Truncate(size int64) error
	Sync() error
}

// Cut removes the torn tail t from f, which a [Scanner] found, and fsyncs
// f. It returns the recovery report of a file of records intact records.
func Cut(f Truncater, t *TornError, records uint64) (Recovery, error) {
	if err := f.Truncate(t.Offset); err != nil {
		return Recovery{}, fmt.Errorf("cutting the torn tail at byte %d: %w", t.Offset, err)
	}
	if err := f.Sync(); err != nil {
		return Recovery{}, fmt.Errorf("cutting the torn tail at byte %d: %w", t.Offset, err)
	}
	return Recovery{Records: records, TruncatedRecords: 1, TruncatedBytes: t.Bytes, TruncatedAt: t.Offset}, nil
}
