package main

// The backends linked into the library. Importing a backend registers its URI
// scheme; tw_providers_json lists what is registered.
//
// The cloud KMS backends (awskms, azurekv, gcpkms, vault) are linked only
// when the library is built with the tag twcloud (backends_cloud.go): their
// SDKs are most of the library's size, and a Python program reaches cloud
// keys through remote: (the signing service) instead. The Python build
// backend adds the tag when TINYWINDOW_CLOUD=1.
import (
	_ "github.com/tinywindow/tinywindow/providers/hmac"
	_ "github.com/tinywindow/tinywindow/providers/pem"
	_ "github.com/tinywindow/tinywindow/providers/pkcs11"
	_ "github.com/tinywindow/tinywindow/providers/pqc"
	_ "github.com/tinywindow/tinywindow/providers/remote"
)
