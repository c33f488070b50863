package risk

import (
	"math/bits"
	"strconv"
	"strings"

	"github.com/tinywindow/tinywindow/execadapter/order"
)

const saturated = ^uint64(0)

var pow10 = [...]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

// Nanos returns qty × price in nano-units (10^-9 of the price's unit),
// saturating at the largest uint64 (about 1.8e10 units), which every limit
// treats as exceeded. qty and the price's mantissa must not be negative.
func Nanos(qty int64, p order.Price) uint64 {
	if qty <= 0 || p.Mantissa <= 0 || p.Exponent < order.MinExponent || p.Exponent > 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(qty), uint64(p.Mantissa))
	if hi != 0 {
		return saturated
	}
	hi, lo = bits.Mul64(lo, pow10[9+int(p.Exponent)])
	if hi != 0 {
		return saturated
	}
	return lo
}

func satAdd(a, b uint64) uint64 {
	s, c := bits.Add64(a, b, 0)
	if c != 0 {
		return saturated
	}
	return s
}

// formatNanos formats an amount in nano-units as a decimal.
func formatNanos(n uint64) string {
	if n == saturated {
		return "more than 1.8e10"
	}
	s := strconv.FormatUint(n, 10)
	if len(s) <= 9 {
		s = strings.Repeat("0", 10-len(s)) + s
	}
	s = strings.TrimRight(s[:len(s)-9]+"."+s[len(s)-9:], "0")
	return strings.TrimSuffix(s, ".")
}

func mul(a, b uint64) (hi, lo uint64) { return bits.Mul64(a, b) }

func satMul(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 {
		return saturated
	}
	return lo
}
