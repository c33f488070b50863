package venue

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/tinywindow/tinywindow/execadapter/order"
)

// Frames on a TCP venue connection (all big-endian):
//
//	0  4  length n of what follows (1 to MaxFrame)
//	4  1  frame type: FrameOrder, FrameAck, FrameSignedAck or FrameBatch
//	5  …  body: an envelope (FrameOrder), an ack (FrameAck), a signed
//	      ack (FrameSignedAck, see SignedAck) or a batch signature
//	      (FrameBatch, see Batch), sent before the first order of its batch
//
// An ack body is status (1), reason (1), venue order ID (8), venue time (8),
// client order ID length (1, 0 to 36) and the client order ID.
const (
	FrameOrder     = 1
	FrameAck       = 2
	FrameSignedAck = 3
	FrameBatch     = 4
	// MaxFrame bounds a frame's length field: a peer cannot make a reader
	// allocate more.
	MaxFrame = 1 + MaxEnvelope
	// FrameOverhead is the bytes a frame adds to its body: length and type.
	FrameOverhead = 5
	ackFixed      = 1 + 1 + 8 + 8 + 1
)

// AppendFrame appends a frame of type typ around body.
func AppendFrame(dst []byte, typ byte, body []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(1+len(body)))
	dst = append(dst, typ)
	return append(dst, body...)
}

// AppendAckFrame appends an ack frame.
func AppendAckFrame(dst []byte, a Ack, clientOrderID []byte) []byte {
	if len(clientOrderID) > order.MaxClientOrderID {
		clientOrderID = nil
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(1+ackFixed+len(clientOrderID)))
	dst = append(dst, FrameAck)
	return appendAckBody(dst, a, clientOrderID)
}

// appendAckBody appends the body of an ack frame; the client order ID is at
// most order.MaxClientOrderID bytes.
func appendAckBody(dst []byte, a Ack, clientOrderID []byte) []byte {
	dst = append(dst, byte(a.Status), byte(a.Reason))
	dst = binary.BigEndian.AppendUint64(dst, a.VenueOrderID)
	dst = binary.BigEndian.AppendUint64(dst, uint64(a.VenueTime))
	dst = append(dst, byte(len(clientOrderID)))
	return append(dst, clientOrderID...)
}

// ParseAck decodes an ack body; the client order ID aliases body.
func ParseAck(body []byte) (Ack, []byte, error) {
	if len(body) < ackFixed {
		return Ack{}, nil, fmt.Errorf("%w: ack of %d bytes; at least %d", ErrProtocol, len(body), ackFixed)
	}
	a := Ack{
		Status:       Status(body[0]),
		Reason:       Reason(body[1]),
		VenueOrderID: binary.BigEndian.Uint64(body[2:]),
		VenueTime:    int64(binary.BigEndian.Uint64(body[10:])),
	}
	n := int(body[18])
	if n > order.MaxClientOrderID || len(body) != ackFixed+n {
		return Ack{}, nil, fmt.Errorf("%w: ack client order ID length %d does not fit its %d-byte body", ErrProtocol, n, len(body))
	}
	if a.Status != Accepted && a.Status != Rejected {
		return Ack{}, nil, fmt.Errorf("%w: ack status %d", ErrProtocol, a.Status)
	}
	if a.Status == Accepted && (a.VenueOrderID == 0 || a.Reason != ReasonNone) {
		return Ack{}, nil, fmt.Errorf("%w: accepted ack with venue order ID %d and reason %d", ErrProtocol, a.VenueOrderID, a.Reason)
	}
	return a, body[ackFixed:], nil
}

// frameLength returns the length field at the start of b, or an error
// matching ErrProtocol when it is 0 or over MaxFrame.
func frameLength(b []byte) (int, error) {
	n := binary.BigEndian.Uint32(b)
	if n == 0 || n > MaxFrame {
		return 0, fmt.Errorf("%w: frame length %d is outside 1 to %d", ErrProtocol, n, MaxFrame)
	}
	return int(n), nil
}

// FrameReader reads frames into one buffer it reuses; a frame is valid until
// the next call.
type FrameReader struct {
	r   *bufio.Reader
	buf []byte
	lb  [4]byte // a field, not a local: a local escapes through io.ReadFull
}

// NewFrameReader returns a FrameReader on r.
func NewFrameReader(r io.Reader) *FrameReader {
	return &FrameReader{r: bufio.NewReaderSize(r, 1<<16), buf: make([]byte, 0, 4096)}
}

// Buffered returns the number of bytes read ahead.
func (f *FrameReader) Buffered() int { return f.r.Buffered() }

// ErrTruncatedFrame is matched by the error of a stream that ended inside a
// frame.
var ErrTruncatedFrame = errors.New("connection closed in the middle of a frame")

// Next returns the next frame's type and body. At a clean end of the stream
// it returns io.EOF; a stream that ends inside a frame gives an error
// matching ErrTruncatedFrame, a length of 0 or over MaxFrame one matching
// ErrProtocol. The buffer never grows beyond MaxFrame.
func (f *FrameReader) Next() (byte, []byte, error) {
	lb := f.lb[:]
	if n, err := io.ReadFull(f.r, lb); err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			return 0, nil, io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil, fmt.Errorf("%w (%d of 4 length bytes)", ErrTruncatedFrame, n)
		}
		return 0, nil, err
	}
	n, err := frameLength(lb)
	if err != nil {
		return 0, nil, err
	}
	if cap(f.buf) < n {
		f.buf = make([]byte, 0, max(n, 2*cap(f.buf)))
	}
	b := f.buf[:n]
	if got, err := io.ReadFull(f.r, b); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return 0, nil, fmt.Errorf("%w (%d of %d bytes)", ErrTruncatedFrame, got, n)
		}
		return 0, nil, err
	}
	return b[0], b[1:], nil
}

// frameBuffer reads frames into one buffer it reuses, like FrameReader,
// except that a read that fails (a read deadline that passed) loses nothing:
// the bytes read so far stay for the next call, so that goroutines can take
// turns reading one connection. A frame is valid until the next call.
type frameBuffer struct {
	buf  []byte
	r, w int // buf[r:w] is read and not yet returned
}

// next returns the next frame's type and body, with FrameReader.Next's
// errors, or the reader's own error (such as os.ErrDeadlineExceeded), after
// which it may be called again.
func (f *frameBuffer) next(rd io.Reader) (byte, []byte, error) {
	for {
		need := 4
		if f.w-f.r >= 4 {
			n, err := frameLength(f.buf[f.r:])
			if err != nil {
				return 0, nil, err
			}
			need = 4 + n
			if f.w-f.r >= need {
				fr := f.buf[f.r+4 : f.r+need]
				f.r += need
				return fr[0], fr[1:], nil
			}
		}
		if f.r == f.w {
			f.r, f.w = 0, 0
		}
		if len(f.buf)-f.r < need {
			if f.r > 0 {
				f.w = copy(f.buf, f.buf[f.r:f.w])
				f.r = 0
			}
			if len(f.buf) < need {
				nb := make([]byte, min(max(need, 2*len(f.buf), 4096), 4+MaxFrame))
				copy(nb, f.buf[:f.w])
				f.buf = nb
			}
		}
		m, err := rd.Read(f.buf[f.w:])
		f.w += m
		if m > 0 {
			continue
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF) && f.w == f.r:
			return 0, nil, io.EOF
		case errors.Is(err, io.EOF):
			return 0, nil, fmt.Errorf("%w (%d bytes of a frame)", ErrTruncatedFrame, f.w-f.r)
		default:
			return 0, nil, err
		}
	}
}
