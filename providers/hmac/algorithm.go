package hmac

import "github.com/tinywindow/tinywindow/provider"

// Algorithms lists the algorithms this backend offers: HMAC-SHA256 only.
func Algorithms() []provider.Algorithm { return []provider.Algorithm{provider.HMACSHA256} }
