package provider

import (
	"fmt"
	"strconv"
	"time"
)

// Duration returns the named attribute as a Go duration from lo to hi
// inclusive, or def when the URI does not hold it. A value that is not a
// duration, or out of bounds, is an error matching ErrInvalidConfig that
// names the scheme, the attribute and the bounds.
func (u *URI) Duration(name string, def, lo, hi time.Duration) (time.Duration, error) {
	v, ok := u.Get(name)
	if !ok {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		return 0, fmt.Errorf("%w: %s %s=%q; write a Go duration from %v to %v, such as 250ms or 1h", ErrInvalidConfig, u.Scheme, name, v, lo, hi)
	}
	return d, nil
}

// Int returns the named attribute as a whole number from lo to hi
// inclusive, or def when the URI does not hold it. A value that is not a
// decimal whole number, or out of bounds, is an error matching
// ErrInvalidConfig that names the scheme, the attribute and the bounds.
func (u *URI) Int(name string, def, lo, hi int) (int, error) {
	v, ok := u.Get(name)
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%w: %s %s=%q; write a whole number from %d to %d", ErrInvalidConfig, u.Scheme, name, v, lo, hi)
	}
	return n, nil
}
