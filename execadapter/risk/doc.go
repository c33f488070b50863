// Package risk holds the pre-trade checks of the execution adapter, of the
// kind SEC rule 15c3-5 asks of a broker with market access: kill switch,
// symbol deny and allow lists, maximum quantity, price collar against a
// reference price, maximum notional, per-account credit limit on open
// notional, duplicate client order ID within a window, and a message-rate
// throttle. They are configured in YAML (see Config), and each rejection is
// a *Rejection naming its Rule.
//
// Amounts are exact: prices are decimal mantissa and exponent, notionals are
// computed in nano-units with saturating 64-bit arithmetic (an overflow is
// treated as over every limit), and no float is involved.
package risk
