package order

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// jsonOrder is the JSON form of an order:
//
//	{"version":1,"client_order_id":"c-1","account":"ACC-1","symbol":"AAPL",
//	 "side":"buy","type":"limit","quantity":100,"price":"189.25",
//	 "time_in_force":"day","timestamp":"2026-11-26T14:30:00.000000001Z"}
//
// The price is a decimal string (never a JSON number, so no float can creep
// in); a market order has no price. The timestamp is RFC 3339 in UTC with up
// to nine fractional digits.
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

// UnmarshalJSON parses the JSON form strictly: unknown fields, a missing or
// unknown version, unknown enumeration names, and any value the canonical
// encoding would refuse are errors matching ErrInvalid.
func (o *Order) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var j jsonOrder
	if err := dec.Decode(&j); err != nil {
		return &FieldError{Field: "json", Kind: ErrJSON, Msg: err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &FieldError{Field: "json", Kind: ErrJSON, Msg: "data after the order object"}
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
	t, err := time.Parse(time.RFC3339Nano, j.Timestamp)
	if err != nil {
		return &FieldError{Field: "timestamp", Kind: ErrTimestamp, Msg: fmt.Sprintf("timestamp %q is not RFC 3339 such as 2026-11-26T14:30:00.123Z", j.Timestamp)}
	}
	d.Timestamp = t.UnixNano()
	if err := d.Validate(); err != nil {
		return err
	}
	*o = d
	return nil
}
