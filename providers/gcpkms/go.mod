module github.com/tinywindow/tinywindow/providers/gcpkms

go 1.26.0

require github.com/tinywindow/tinywindow v0.0.0-00010101000000-000000000000

require (
	cloud.google.com/go/kms v1.37.0 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/go-logr/logr v1.4.4 // indirect
	github.com/go-logr/stdr v1.2.2 // indirect
	github.com/googleapis/gax-go/v2 v2.27.0 // indirect
	go.opentelemetry.io/auto/sdk v1.2.1 // indirect
	go.opentelemetry.io/otel v1.47.0 // indirect
	go.opentelemetry.io/otel/log v1.47.0 // indirect
	go.opentelemetry.io/otel/metric v1.47.0 // indirect
	go.opentelemetry.io/otel/trace v1.47.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	google.golang.org/api v0.315.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20261104224025-d1e00e9f33ab // indirect
	google.golang.org/grpc v1.85.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

// Development: every module of this repository, from this tree.
replace (
	github.com/tinywindow/tinywindow => ../..
	github.com/tinywindow/tinywindow/bindings => ../../bindings
	github.com/tinywindow/tinywindow/cmd/tinywindow => ../../cmd/tinywindow
	github.com/tinywindow/tinywindow/providers/awskms => ../awskms
	github.com/tinywindow/tinywindow/providers/azurekv => ../azurekv
	github.com/tinywindow/tinywindow/providers/remote => ../remote
	github.com/tinywindow/tinywindow/providers/vaulttransit => ../vaulttransit
	github.com/tinywindow/tinywindow/service => ../../service
	github.com/tinywindow/tinywindow/telemetry => ../../telemetry
)
