package order

import (
	"fmt"
	"time"
)

// Version is the version of the canonical encoding this package writes and
// the only one it reads.
const Version = 1

// Bounds on the strings of an order, in bytes of UTF-8.
const (
	MaxClientOrderID = 36 // fits a UUID in text form
	MaxAccount       = 32
	MaxSymbol        = 16
)

// Bounds on a price's decimal exponent: a price is Mantissa × 10^Exponent
// with Exponent from MinExponent to 0 (at most nine decimal places).
const (
	MinExponent = -9
	MaxExponent = 0
)

// FixedSize is the size of the fixed-length head of an encoded order; MinSize
// and MaxSize bound a whole encoded order.
const (
	FixedSize = 29
	MinSize   = FixedSize + 3 + 3
	MaxSize   = FixedSize + 3 + MaxClientOrderID + MaxAccount + MaxSymbol
)

// Side is the side of an order.
type Side uint8

// The sides.
const (
	Buy  Side = 1
	Sell Side = 2
)

// Type is the type of an order.
type Type uint8

// The order types. A limit order carries a positive price; a market order
// carries none (a zero price).
const (
	Limit  Type = 1
	Market Type = 2
)

// TimeInForce says how long an order stays open.
type TimeInForce uint8

// The times in force.
const (
	Day TimeInForce = 1 // until the end of the trading day
	IOC TimeInForce = 2 // immediate or cancel
	FOK TimeInForce = 3 // fill or kill
	GTC TimeInForce = 4 // good till cancelled
)

// Price is a decimal price, Mantissa × 10^Exponent, never a float. In the
// canonical form the mantissa has no trailing decimal zero unless the
// exponent is 0: 1.5 is {15, -1}, never {150, -2}.
type Price struct {
	Mantissa int64
	Exponent int8
}

// Order is a new-order request.
type Order struct {
	// ClientOrderID is the sender's unique ID for the order (1 to 36 bytes).
	ClientOrderID string
	// Account is the trading account (1 to 32 bytes).
	Account string
	// Symbol is the instrument (1 to 16 bytes).
	Symbol      string
	Side        Side
	Type        Type
	Quantity    int64 // in units of the instrument; positive
	Price       Price // positive for a limit order, zero for a market order
	TimeInForce TimeInForce
	// Timestamp is the time the order was created, in nanoseconds since the
	// Unix epoch (UTC); positive.
	Timestamp int64
}

// Time returns the order's timestamp as a time.Time in UTC.
func (o *Order) Time() time.Time { return time.Unix(0, o.Timestamp).UTC() }

// Validate checks every field against the rules the decoder enforces. The
// error is a *FieldError matching ErrInvalid.
func (o *Order) Validate() error {
	if err := checkString("client_order_id", 0, o.ClientOrderID, MaxClientOrderID); err != nil {
		return err
	}
	if err := checkString("account", 0, o.Account, MaxAccount); err != nil {
		return err
	}
	if err := checkString("symbol", 0, o.Symbol, MaxSymbol); err != nil {
		return err
	}
	return checkFixed(o.Side, o.Type, o.TimeInForce, o.Quantity, o.Price, o.Timestamp, 0)
}

func checkFixed(side Side, typ Type, tif TimeInForce, qty int64, p Price, ts int64, base int) error {
	if side != Buy && side != Sell {
		return fieldErr(ErrEnum, "side", base+offSide, "side %d; want 1 (buy) or 2 (sell)", side)
	}
	if typ != Limit && typ != Market {
		return fieldErr(ErrEnum, "type", base+offType, "type %d; want 1 (limit) or 2 (market)", typ)
	}
	if tif < Day || tif > GTC {
		return fieldErr(ErrEnum, "time_in_force", base+offTIF, "time in force %d; want 1 (day), 2 (ioc), 3 (fok) or 4 (gtc)", tif)
	}
	if qty <= 0 {
		return fieldErr(ErrQuantity, "quantity", base+offQty, "quantity %d; it must be positive", qty)
	}
	if p.Exponent < MinExponent || p.Exponent > MaxExponent {
		return fieldErr(ErrPrice, "price", base+offExp, "price exponent %d; it must be from %d to %d", p.Exponent, MinExponent, MaxExponent)
	}
	switch typ {
	case Limit:
		if p.Mantissa <= 0 {
			return fieldErr(ErrPrice, "price", base+offMant, "limit order with price mantissa %d; a limit order needs a positive price", p.Mantissa)
		}
		if p.Exponent < 0 && p.Mantissa%10 == 0 {
			return fieldErr(ErrNonCanonical, "price", base+offMant, "price %d×10^%d has a trailing zero; write it as %s", p.Mantissa, p.Exponent, p.Normalize())
		}
	case Market:
		if p.Mantissa != 0 || p.Exponent != 0 {
			return fieldErr(ErrPrice, "price", base+offMant, "market order with a price (%s); a market order carries price 0", p)
		}
	}
	if ts <= 0 {
		return fieldErr(ErrTimestamp, "timestamp", base+offTime, "timestamp %d; it must be positive nanoseconds since the Unix epoch", ts)
	}
	return nil
}

func (s Side) String() string {
	switch s {
	case Buy:
		return "buy"
	case Sell:
		return "sell"
	}
	return fmt.Sprintf("side(%d)", uint8(s))
}

func (t Type) String() string {
	switch t {
	case Limit:
		return "limit"
	case Market:
		return "market"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

func (t TimeInForce) String() string {
	switch t {
	case Day:
		return "day"
	case IOC:
		return "ioc"
	case FOK:
		return "fok"
	case GTC:
		return "gtc"
	}
	return fmt.Sprintf("tif(%d)", uint8(t))
}
