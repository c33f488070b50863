package recordfile

// Format is the framing of one kind of record file.
type Format struct {
	// Header is the bytes every non-empty file starts with ("" for none).
	Header string
	// MaxRecord bounds the size of one record, framing and check included.
	MaxRecord int
	// Frame examines the record at the start of b (never empty). It returns
	// the record's size n (0 < n ≤ len(b)) when b holds it whole and it
	// passes its check; 0 and nil when b holds only the start of a record
	// that could still be valid (its length field, when b holds it, announces
	// a size over len(b) and at most MaxRecord); and an error saying what is
	// wrong when the record cannot be valid (a length outside its bounds, a
	// failed check). It must not keep b.
	Frame func(b []byte) (n int, err error)
	// Relength, if not nil, reports whether tail, the bytes from the start
	// of an incomplete final record to the end of the file, is a complete
	// valid record whose length field was changed. It must not change tail.
	Relength func(tail []byte) bool
}
