package remote

import "github.com/tinywindow/tinywindow/provider"

// Algorithms lists the algorithms this backend can offer: any the service's
// key has, so every algorithm provider knows.
func Algorithms() []provider.Algorithm { return provider.Algorithms() }
