//go:build twcloud

package main

// The cloud KMS backends, linked with the build tag twcloud (see backends.go).
import (
	_ "github.com/tinywindow/tinywindow/providers/awskms"
	_ "github.com/tinywindow/tinywindow/providers/azurekv"
	_ "github.com/tinywindow/tinywindow/providers/gcpkms"
	_ "github.com/tinywindow/tinywindow/providers/vaulttransit"
)
