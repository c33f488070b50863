package remote_test

import "github.com/tinywindow/tinywindow/internal/ectest"

// The service side of the asymmetric tests needs a key with a public key:
// "ectest" is real ECDSA P-256 on crypto/ecdsa; what is under test is the
// remote path around it (public key transport, local verification).
func init() { ectest.Register() }
