module github.com/tinywindow/tinywindow/telemetry

go 1.26.0

require (
	github.com/tinywindow/tinywindow v0.0.0-00010101000000-000000000000
	go.opentelemetry.io/otel v1.47.0
	go.opentelemetry.io/otel/metric v1.47.0
	go.opentelemetry.io/otel/sdk v1.47.0
	go.opentelemetry.io/otel/sdk/metric v1.47.0
	go.opentelemetry.io/otel/trace v1.47.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/go-logr/logr v1.4.4 // indirect
	github.com/go-logr/stdr v1.2.2 // indirect
	github.com/google/uuid v1.6.0 // indirect
	go.opentelemetry.io/auto/sdk v1.2.1 // indirect
	go.opentelemetry.io/otel/log v1.47.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

// Development: every module of this repository, from this tree.
replace (
	github.com/tinywindow/tinywindow/api => ../api
	github.com/tinywindow/tinywindow => ..
	github.com/tinywindow/tinywindow/bindings => ../bindings
	github.com/tinywindow/tinywindow/cmd/tinywindow => ../cmd/tinywindow
	github.com/tinywindow/tinywindow/providers/awskms => ../providers/awskms
	github.com/tinywindow/tinywindow/providers/azurekv => ../providers/azurekv
	github.com/tinywindow/tinywindow/providers/gcpkms => ../providers/gcpkms
	github.com/tinywindow/tinywindow/providers/remote => ../providers/remote
	github.com/tinywindow/tinywindow/providers/vaulttransit => ../providers/vaulttransit
	github.com/tinywindow/tinywindow/service => ../service
)
