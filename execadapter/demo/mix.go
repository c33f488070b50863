package demo

import (
	"math/rand/v2"
	"strconv"

	"github.com/tinywindow/tinywindow/execadapter/order"
)

// DefaultLimits is the risk configuration of the demo: it lets the ordinary
// flow through and catches the mix's deliberate mistakes.
const DefaultLimits = `max_quantity: 5000
max_notional: "500000"
price_collar_bps: 1000
reference_prices: {AAPL: "190", MSFT: "410", NVDA: "120", AMZN: "185", GOOG: "170"}
symbols:
  deny: [GME]
credit_limits:
  default: "1000000000"
  accounts: {ACC-SMALL: "50000"}
throttle:
  orders_per_second: 10000000
  burst: 100000
duplicates:
  window: 60s
  capacity: 1048576
`

var symbols = []struct {
	name string
	ref  int64 // in cents
}{{"AAPL", 19000}, {"MSFT", 41000}, {"NVDA", 12000}, {"AMZN", 18500}, {"GOOG", 17000}}

var accounts = []string{"ACC-1", "ACC-2", "ACC-3", "ACC-4", "ACC-5", "ACC-6", "ACC-7", "ACC-8"}

// Mix generates a realistic, deterministic stream of orders: mostly limit
// IOC orders near the reference price and some market orders, with a few
// percent of deliberate mistakes that the pre-trade checks must catch (a
// denied symbol, a price outside the collar, an over-large quantity or
// notional, a reused client order ID, resting orders that exhaust a small
// account's credit).
type Mix struct {
	r      *rand.Rand
	n      uint64
	prefix string
	lastID [order.MaxClientOrderID]byte
	lastN  int
	o      order.Order
	id     []byte
}

// NewMix returns a Mix whose stream is fixed by seed; client order IDs
// start with prefix.
func NewMix(seed uint64, prefix string) *Mix {
	return &Mix{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), prefix: prefix, id: make([]byte, 0, order.MaxClientOrderID)}
}

// Append appends the canonical encoding of the next order, stamped with
// timestamp now, to dst. It does not allocate when dst has room.
func (m *Mix) Append(dst []byte, now int64) []byte {
	m.n++
	s := symbols[m.r.IntN(len(symbols))]
	o := &m.o
	o.Symbol = s.name
	o.Account = accounts[m.r.IntN(len(accounts))]
	o.Side = order.Side(1 + m.r.IntN(2))
	o.Type = order.Limit
	o.TimeInForce = order.IOC
	o.Quantity = int64(1 + m.r.IntN(200))
	cents := s.ref + int64(m.r.IntN(int(s.ref/25))) - s.ref/50 // within ±2%
	o.Timestamp = now
	m.id = append(append(m.id[:0], m.prefix...), 'o', '-')
	m.id = strconv.AppendUint(m.id, m.n, 10)
	switch k := m.r.IntN(1000); {
	case k < 50: // market orders
		o.Type = order.Market
	case k < 55: // a denied symbol
		o.Symbol = "GME"
		cents = 2500
	case k < 65: // a fat finger on the price
		cents = s.ref * 2
	case k < 75: // a fat finger on the quantity
		o.Quantity = 50000
	case k < 80: // a large order over the notional limit
		o.Quantity = 4900
	case k < 85: // a resend with an ID already used
		if m.lastN > 0 {
			m.id = append(m.id[:0], m.lastID[:m.lastN]...)
		}
	case k < 100: // resting orders on a small account
		o.Account = "ACC-SMALL"
		o.TimeInForce = order.Day
	}
	if o.Type == order.Limit {
		o.Price = order.Price{Mantissa: cents, Exponent: -2}.Normalize()
	} else {
		o.Price = order.Price{}
	}
	m.lastN = copy(m.lastID[:], m.id)
	o.ClientOrderID = unsafeString(m.id)
	dst, err := o.AppendCanonical(dst)
	if err != nil {
		panic("demo: the mix made an invalid order: " + err.Error())
	}
	return dst
}
