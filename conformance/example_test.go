package conformance_test

import (
	"context"
	"fmt"
	"os"

	"github.com/tinywindow/tinywindow/conformance"
	_ "github.com/tinywindow/tinywindow/providers/hmac"
)

// Run the suite against a key and print how it went.
func ExampleRun() {
	rep, err := conformance.Run(context.Background(), conformance.Subject{
		Open:  conformance.OpenURI("hmac:seed=42"),
		Other: conformance.OpenURI("hmac:seed=43"),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Println(rep.Backend, rep.Algorithm, rep.OK())
	for _, c := range rep.Checks {
		if c.Status == conformance.Skip {
			fmt.Println("skip", c.Name+":", c.Reason)
		}
	}
	// Output:
	// hmac HMAC-SHA256 true
	// skip publickey/stdlib: HMAC-SHA256 key exports no public key
	// skip publickey/pem: HMAC-SHA256 key exports no PEM public key
	// skip publickey/crypto-signer: HMAC-SHA256 key cannot sign a digest
	// skip kat/wycheproof: the suite carries no Wycheproof vectors for HMAC-SHA256
}
