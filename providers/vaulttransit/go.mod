module github.com/tinywindow/tinywindow/providers/vaulttransit

go 1.26.0

require github.com/tinywindow/tinywindow v0.0.0-00010101000000-000000000000

// Development: every module of this repository, from this tree.
replace (
	github.com/tinywindow/tinywindow => ../..
	github.com/tinywindow/tinywindow/bindings => ../../bindings
	github.com/tinywindow/tinywindow/cmd/tinywindow => ../../cmd/tinywindow
	github.com/tinywindow/tinywindow/providers/awskms => ../awskms
	github.com/tinywindow/tinywindow/providers/azurekv => ../azurekv
	github.com/tinywindow/tinywindow/providers/gcpkms => ../gcpkms
	github.com/tinywindow/tinywindow/providers/remote => ../remote
	github.com/tinywindow/tinywindow/service => ../../service
	github.com/tinywindow/tinywindow/telemetry => ../../telemetry
)
