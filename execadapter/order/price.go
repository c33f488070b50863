package order

import (
	"fmt"
	"strconv"
	"strings"
)

// ParsePrice parses a decimal price such as "189.25" or "190" (digits, at
// most one '.', at most nine decimal places, no sign, no exponent) into its
// canonical form.
func ParsePrice(s string) (Price, error) {
	if s == "" {
		return Price{}, fmt.Errorf("%w: empty price; write a decimal such as 189.25", ErrPrice)
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || (hasDot && frac == "") {
		return Price{}, fmt.Errorf("%w: price %q is not a decimal such as 189.25", ErrPrice, s)
	}
	if len(frac) > -MinExponent {
		return Price{}, fmt.Errorf("%w: price %q has more than %d decimal places", ErrPrice, s, -MinExponent)
	}
	digits := intPart + frac
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return Price{}, fmt.Errorf("%w: price %q is not a decimal such as 189.25 (digits and one '.', no sign or exponent)", ErrPrice, s)
		}
	}
	m, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return Price{}, fmt.Errorf("%w: price %q does not fit in a 64-bit mantissa", ErrPrice, s)
	}
	return Price{Mantissa: m, Exponent: int8(-len(frac))}.Normalize(), nil
}

// Normalize returns p in canonical form: trailing decimal zeros of the
// mantissa are removed while the exponent is negative.
func (p Price) Normalize() Price {
	for p.Exponent < 0 && p.Mantissa%10 == 0 {
		p.Mantissa /= 10
		p.Exponent++
	}
	return p
}

// String formats p as a decimal, such as "189.25".
func (p Price) String() string {
	if p.Exponent >= 0 {
		s := strconv.FormatInt(p.Mantissa, 10)
		if p.Mantissa != 0 {
			s += strings.Repeat("0", int(p.Exponent))
		}
		return s
	}
	neg := p.Mantissa < 0
	m := p.Mantissa
	if neg {
		m = -m
	}
	s := strconv.FormatUint(uint64(m), 10)
	places := int(-p.Exponent)
	if len(s) <= places {
		s = strings.Repeat("0", places-len(s)+1) + s
	}
	s = s[:len(s)-places] + "." + s[len(s)-places:]
	if neg {
		s = "-" + s
	}
	return s
}
