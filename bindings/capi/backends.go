package main

// The backends linked into the library. Importing a backend registers its URI
// scheme; tw_providers_json lists what is registered.
import (
	_ "github.com/tinywindow/tinywindow/providers/awskms"
	_ "github.com/tinywindow/tinywindow/providers/azurekv"
	_ "github.com/tinywindow/tinywindow/providers/gcpkms"
	_ "github.com/tinywindow/tinywindow/providers/hmac"
	_ "github.com/tinywindow/tinywindow/providers/pem"
	_ "github.com/tinywindow/tinywindow/providers/pkcs11"
	_ "github.com/tinywindow/tinywindow/providers/pqc"
	_ "github.com/tinywindow/tinywindow/providers/remote"
	_ "github.com/tinywindow/tinywindow/providers/vaulttransit"
)
