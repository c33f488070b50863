package mtls_test

import (
	"crypto/tls"
	"fmt"

	"github.com/tinywindow/tinywindow/mtls"
)

func ExampleCurvePreferences() {
	for _, pqOnly := range []bool{false, true} {
		groups := mtls.CurvePreferences(pqOnly)
		fmt.Println(groups[0], len(groups), mtls.PostQuantumGroup(groups[len(groups)-1]))
	}
	fmt.Println(mtls.PostQuantumGroup(tls.X25519))
	// Output:
	// X25519MLKEM768 4 false
	// X25519MLKEM768 3 true
	// false
}
