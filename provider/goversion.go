package provider

import "fmt"

// GoVersionError is returned where an operation needs a newer Go than the
// one the program was built with: ML-DSA in crypto/x509 and crypto/tls needs
// Go 1.27. It matches ErrUnsupported.
type GoVersionError struct {
	// Op is what could not be done, such as "a crypto.Signer for ML-DSA-65".
	Op string
	// Need is the Go version it needs, such as "Go 1.27".
	Need string
	// Why says what the older Go lacks.
	Why string
}

func (e *GoVersionError) Error() string {
	return fmt.Sprintf("%s: %s: needs %s (%s); build with %s or later", ErrUnsupported, e.Op, e.Need, e.Why, e.Need)
}

// Is reports whether target is ErrUnsupported.
func (e *GoVersionError) Is(target error) bool { return target == ErrUnsupported }
