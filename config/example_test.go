package config_test

import (
	"fmt"

	"github.com/tinywindow/tinywindow/config"
)

func ExampleResolveSigner() {
	cfg, err := config.Parse([]byte(`
signer: "pkcs11:token=prod;object=orders"
backends:
  pkcs11:
    module-path: /usr/lib/softhsm/libsofthsm2.so
    pin-source: env:TW_PIN
`))
	if err != nil {
		panic(err)
	}
	// No --signer flag and no TINYWINDOW_SIGNER: the file's signer, with the
	// file's pkcs11 options added.
	u, err := config.ResolveSigner("", cfg)
	if err != nil {
		panic(err)
	}
	fmt.Println(u)
	// Output: pkcs11:token=prod;object=orders?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:TW_PIN
}
