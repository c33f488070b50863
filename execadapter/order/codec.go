package order

import (
	"encoding/binary"
	"unicode/utf8"
)

// Offsets of the fixed head of the canonical encoding (see docs/orders.md).
const (
	offVersion = 0
	offSide    = 1
	offType    = 2
	offTIF     = 3
	offQty     = 4
	offMant    = 12
	offExp     = 20
	offTime    = 21
	offStrings = FixedSize
)

// View is a decoded order whose strings alias the bytes it was parsed from.
// It lets the hot path inspect an order without allocating; call Order for a
// copy that owns its strings. A View is valid only while those bytes are
// unchanged.
type View struct {
	ClientOrderID []byte
	Account       []byte
	Symbol        []byte
	Side          Side
	Type          Type
	Quantity      int64
	Price         Price
	TimeInForce   TimeInForce
	Timestamp     int64
}

// Parse decodes the canonical encoding b into v, strictly: an unknown
// version, a short or over-long input, a string that is empty, too long, not
// UTF-8 or holds a control character, an unknown side, type or time in force,
// a quantity that is not positive, a limit order without a positive price, a
// price that is not canonical, a timestamp that is not positive: each is a
// *FieldError matching ErrInvalid and its kind. Because the decoder accepts
// only canonical input, a b that parses is itself the canonical encoding of
// the order. Parse does not allocate on success.
func Parse(b []byte, v *View) error {
	if len(b) < 1 {
		return fieldErr(ErrTruncated, "version", 0, "empty input; an order starts with version byte %d", Version)
	}
	if b[offVersion] != Version {
		return fieldErr(ErrUnknownVersion, "version", 0, "version %d; this decoder reads version %d only", b[0], Version)
	}
	if len(b) < FixedSize {
		return fieldErr(ErrTruncated, "header", len(b), "%d bytes; the fixed head is %d bytes", len(b), FixedSize)
	}
	v.Side = Side(b[offSide])
	v.Type = Type(b[offType])
	v.TimeInForce = TimeInForce(b[offTIF])
	v.Quantity = int64(binary.BigEndian.Uint64(b[offQty:]))
	v.Price = Price{Mantissa: int64(binary.BigEndian.Uint64(b[offMant:])), Exponent: int8(b[offExp])}
	v.Timestamp = int64(binary.BigEndian.Uint64(b[offTime:]))
	if err := checkFixed(v.Side, v.Type, v.TimeInForce, v.Quantity, v.Price, v.Timestamp, 0); err != nil {
		return err
	}
	off := offStrings
	var err error
	if v.ClientOrderID, off, err = parseString(b, off, "client_order_id", MaxClientOrderID); err != nil {
		return err
	}
	if v.Account, off, err = parseString(b, off, "account", MaxAccount); err != nil {
		return err
	}
	if v.Symbol, off, err = parseString(b, off, "symbol", MaxSymbol); err != nil {
		return err
	}
	if off != len(b) {
		return fieldErr(ErrTrailingBytes, "end", off, "%d bytes after the order's last field", len(b)-off)
	}
	return nil
}

func parseString(b []byte, off int, field string, max int) ([]byte, int, error) {
	if off >= len(b) {
		return nil, off, fieldErr(ErrTruncated, field, off, "input ends before the length of %s", field)
	}
	n := int(b[off])
	off++
	if n == 0 || n > max {
		return nil, off - 1, fieldErr(ErrStringLength, field, off-1, "%s is %d bytes; it must be 1 to %d", field, n, max)
	}
	if len(b)-off < n {
		return nil, off, fieldErr(ErrTruncated, field, off, "%s needs %d bytes, %d remain", field, n, len(b)-off)
	}
	s := b[off : off+n : off+n]
	if err := checkBytes(field, off, s); err != nil {
		return nil, off, err
	}
	return s, off + n, nil
}

// checkBytes requires valid UTF-8 without control characters.
func checkBytes(field string, off int, s []byte) error {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return fieldErr(ErrControlChar, field, off+i, "%s holds control character 0x%02x at byte %d", field, c, i)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size <= 1 {
			return fieldErr(ErrNotUTF8, field, off+i, "%s is not valid UTF-8 at byte %d", field, i)
		}
		if r >= 0x80 && r < 0xa0 {
			return fieldErr(ErrControlChar, field, off+i, "%s holds control character U+%04X at byte %d", field, r, i)
		}
		i += size
	}
	return nil
}

func checkString(field string, off int, s string, max int) error {
	if len(s) == 0 || len(s) > max {
		return fieldErr(ErrStringLength, field, off, "%s is %d bytes; it must be 1 to %d", field, len(s), max)
	}
	return checkBytes(field, off, []byte(s))
}

// Order returns a copy of the order that owns its strings.
func (v *View) Order() Order {
	return Order{
		ClientOrderID: string(v.ClientOrderID),
		Account:       string(v.Account),
		Symbol:        string(v.Symbol),
		Side:          v.Side,
		Type:          v.Type,
		Quantity:      v.Quantity,
		Price:         v.Price,
		TimeInForce:   v.TimeInForce,
		Timestamp:     v.Timestamp,
	}
}

// Decode decodes the canonical encoding b strictly (see [Parse]).
func Decode(b []byte) (Order, error) {
	var v View
	if err := Parse(b, &v); err != nil {
		return Order{}, err
	}
	return v.Order(), nil
}

// AppendCanonical validates o and appends its canonical encoding to dst. It
// does not allocate when dst has room for MaxSize more bytes.
func (o *Order) AppendCanonical(dst []byte) ([]byte, error) {
	if err := o.Validate(); err != nil {
		return dst, err
	}
	dst = append(dst, Version, byte(o.Side), byte(o.Type), byte(o.TimeInForce))
	dst = binary.BigEndian.AppendUint64(dst, uint64(o.Quantity))
	dst = binary.BigEndian.AppendUint64(dst, uint64(o.Price.Mantissa))
	dst = append(dst, byte(o.Price.Exponent))
	dst = binary.BigEndian.AppendUint64(dst, uint64(o.Timestamp))
	dst = append(dst, byte(len(o.ClientOrderID)))
	dst = append(dst, o.ClientOrderID...)
	dst = append(dst, byte(len(o.Account)))
	dst = append(dst, o.Account...)
	dst = append(dst, byte(len(o.Symbol)))
	dst = append(dst, o.Symbol...)
	return dst, nil
}

// MarshalBinary returns the canonical encoding of o.
func (o *Order) MarshalBinary() ([]byte, error) {
	return o.AppendCanonical(make([]byte, 0, MaxSize))
}

// UnmarshalBinary decodes the canonical encoding b into o (see [Parse]).
func (o *Order) UnmarshalBinary(b []byte) error {
	d, err := Decode(b)
	if err != nil {
		return err
	}
	*o = d
	return nil
}
