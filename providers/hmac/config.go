package hmac

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tinywindow/tinywindow/provider"
)

// ParseSeed parses a decimal seed from 0 to 2^64-1, as the MVP's keygen took.
func ParseSeed(s string) (uint64, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: empty seed; give a decimal integer from 0 to 18446744073709551615", provider.ErrInvalidConfig)
	}
	if strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%w: seed %q is not a decimal integer from 0 to 18446744073709551615", provider.ErrInvalidConfig, s)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: seed %q is out of range: it must be from 0 to 18446744073709551615", provider.ErrInvalidConfig, s)
	}
	return n, nil
}
