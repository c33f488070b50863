package pkcs11_test

import (
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pkcs11"
)

// A key URI picks the token by exactly one of token, serial or slot-id, and
// the key by object and/or id. The PIN comes from a secret source, never from
// the URI.
func ExampleParseConfig() {
	u := provider.MustParseURI("pkcs11:token=prod;object=orders?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:TW_PIN&max-sessions=8")
	c, err := pkcs11.ParseConfig(u)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.TokenLabel, c.Object, c.MaxSessions, c.PINSource)

	_, err = pkcs11.ParseConfig(provider.MustParseURI("pkcs11:token=prod;object=orders?module-path=/m.so&pin-value=1234"))
	fmt.Println(err != nil)
	// Output:
	// prod orders 8 env:TW_PIN
	// true
}
