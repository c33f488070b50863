package order

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// jsonOrder is the JSON form of an order:
//
//	{"version":1,"client_order_id":"c-1","account":"ACC-1","symbol":"AAPL",
//	 "side":"buy","type":"limit","quantity":100,"price":"189.25",
//	 "time_in_force":"day","timestamp":"2026-11-26T14:30:00.000000001Z"}
//
// The price is a decimal string (never a JSON number, so no float can creep
// in); a market order has no price. The timestamp is RFC 3339 with up to
// nine fractional digits, from 1970-01-01T00:00:00.000000001Z to
// 2262-04-11T23:47:16.854775807Z (positive nanoseconds in 64 bits).
type jsonOrder struct {
	Version       int    `json:"version"`
	ClientOrderID string `json:"client_order_id"`
	Account       string `json:"account"`
	Symbol        string `json:"symbol"`
	Side          string `json:"side"`
	Type          string `json:"type"`
	Quantity      int64  `json:"quantity"`
	Price         string `json:"price,omitempty"`
	TimeInForce   string `json:"time_in_force"`
	Timestamp     string `json:"timestamp"`
}

// MarshalJSON returns the JSON form of a valid order.
func (o Order) MarshalJSON() ([]byte, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	j := jsonOrder{
		Version:       Version,
		ClientOrderID: o.ClientOrderID,
		Account:       o.Account,
		Symbol:        o.Symbol,
		Side:          o.Side.String(),
		Type:          o.Type.String(),
		Quantity:      o.Quantity,
		TimeInForce:   o.TimeInForce.String(),
		Timestamp:     o.Time().Format(time.RFC3339Nano),
	}
	if o.Type == Limit {
		j.Price = o.Price.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON parses the JSON form strictly: unknown fields (names match
// exactly, case included), a field given twice, a null value, a missing or
// unknown version, unknown enumeration names, a timestamp outside the range
// an order can carry or with more than nine fractional digits, and any value
// the canonical encoding would refuse are errors matching ErrInvalid.
func (o *Order) UnmarshalJSON(data []byte) error {
	if err := checkObject(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var j jsonOrder
	if err := dec.Decode(&j); err != nil {
		return &FieldError{Field: "json", Kind: ErrJSON, Msg: err.Error()}
	}
	if j.Version != Version {
		return &FieldError{Field: "version", Kind: ErrUnknownVersion, Msg: fmt.Sprintf("version %d; this decoder reads version %d only", j.Version, Version)}
	}
	var d Order
	d.ClientOrderID, d.Account, d.Symbol, d.Quantity = j.ClientOrderID, j.Account, j.Symbol, j.Quantity
	switch j.Side {
	case "buy":
		d.Side = Buy
	case "sell":
		d.Side = Sell
	default:
		return &FieldError{Field: "side", Kind: ErrEnum, Msg: fmt.Sprintf("side %q; want buy or sell", j.Side)}
	}
	switch j.Type {
	case "limit":
		d.Type = Limit
		p, err := ParsePrice(j.Price)
		if err != nil {
			return &FieldError{Field: "price", Kind: ErrPrice, Msg: err.Error()}
		}
		d.Price = p
	case "market":
		d.Type = Market
		if j.Price != "" {
			return &FieldError{Field: "price", Kind: ErrPrice, Msg: "a market order carries no price; remove the price field"}
		}
	default:
		return &FieldError{Field: "type", Kind: ErrEnum, Msg: fmt.Sprintf("type %q; want limit or market", j.Type)}
	}
	switch j.TimeInForce {
	case "day":
		d.TimeInForce = Day
	case "ioc":
		d.TimeInForce = IOC
	case "fok":
		d.TimeInForce = FOK
	case "gtc":
		d.TimeInForce = GTC
	default:
		return &FieldError{Field: "time_in_force", Kind: ErrEnum, Msg: fmt.Sprintf("time in force %q; want day, ioc, fok or gtc", j.TimeInForce)}
	}
	ts, err := parseTimestamp(j.Timestamp)
	if err != nil {
		return err
	}
	d.Timestamp = ts
	if err := d.Validate(); err != nil {
		return err
	}
	*o = d
	return nil
}

// The range of times an order can carry: positive nanoseconds since the Unix
// epoch in a signed 64-bit integer.
var (
	minTime = time.Unix(0, 1).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

// parseTimestamp parses an RFC 3339 timestamp into nanoseconds since the
// Unix epoch, refusing more than nine fractional digits (which time.Parse
// would silently drop) and times outside minTime to maxTime (which
// UnixNano would wrap around).
func parseTimestamp(s string) (int64, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fieldErr(ErrTimestamp, "timestamp", 0, "timestamp %q is not RFC 3339 such as 2026-11-26T14:30:00.123Z", s)
	}
	// time.Parse accepted s, so it starts with YYYY-MM-DDTHH:MM:SS.
	if len(s) > 19 && s[19] == '.' {
		n := 0
		for n < len(s)-20 && s[20+n] >= '0' && s[20+n] <= '9' {
			n++
		}
		if n > 9 {
			return 0, fieldErr(ErrTimestamp, "timestamp", 0, "timestamp %q has %d fractional digits; an order carries nanoseconds, at most nine", s, n)
		}
	}
	if t.Before(minTime) || t.After(maxTime) {
		return 0, fieldErr(ErrTimestamp, "timestamp", 0, "timestamp %q is outside the range an order can carry, %s to %s",
			s, minTime.Format(time.RFC3339Nano), maxTime.Format(time.RFC3339Nano))
	}
	return t.UnixNano(), nil
}

// jsonFields are the field names of the JSON form.
var jsonFields = [...]string{
	"version", "client_order_id", "account", "symbol", "side",
	"type", "quantity", "price", "time_in_force", "timestamp",
}

// checkObject checks what encoding/json lets through: data must be one
// JSON object whose field names are known exactly (encoding/json matches
// them regardless of case), each given once (encoding/json keeps the last)
// and none null (encoding/json skips it). It scans the valid JSON itself,
// without allocating.
func checkObject(data []byte) error {
	bad := func(format string, args ...any) error {
		return &FieldError{Field: "json", Kind: ErrJSON, Msg: fmt.Sprintf(format, args...)}
	}
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		if err == nil { // not reached: Valid and Unmarshal agree
			err = errors.New("invalid JSON")
		}
		return bad("%v", err)
	}
	i := skipSpace(data, 0)
	if data[i] != '{' {
		return bad("an order is a JSON object, not %s", jsonKind(data[i]))
	}
	var seen [len(jsonFields)]bool
	for i = skipSpace(data, i+1); data[i] != '}'; i = skipSpace(data, i) {
		if data[i] == ',' {
			i = skipSpace(data, i+1)
		}
		end := skipValue(data, i) // the name, a string
		name := data[i+1 : end-1]
		if bytes.IndexByte(name, '\\') >= 0 { // an escape such as \u0073ide
			var unq string
			if err := json.Unmarshal(data[i:end], &unq); err != nil {
				return bad("%v", err)
			}
			name = []byte(unq)
		}
		f := fieldIndex(name)
		switch {
		case f < 0:
			return bad("unknown field %q", name)
		case seen[f]:
			return bad("field %q is given twice", name)
		}
		seen[f] = true
		i = skipSpace(data, skipSpace(data, end)+1) // past the ':'
		end = skipValue(data, i)
		if string(data[i:end]) == "null" {
			return bad("field %q is null; give a value or leave the field out", name)
		}
		i = end
	}
	return nil
}

// fieldIndex returns the index of name in jsonFields, or -1.
func fieldIndex(name []byte) int {
	for k, f := range jsonFields {
		if string(name) == f {
			return k
		}
	}
	return -1
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just after the value that starts at i, in
// data that json.Valid accepted.
func skipValue(data []byte, i int) int {
	depth := 0
	for ; i < len(data); i++ {
		switch c := data[i]; c {
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
			if depth < 0 {
				return i
			}
		case ',', ' ', '\t', '\n', '\r', ':':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

// jsonKind names the kind of the JSON value that starts with c.
func jsonKind(c byte) string {
	switch c {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
