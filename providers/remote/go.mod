module github.com/tinywindow/tinywindow/providers/remote

go 1.26.0

require (
	github.com/tinywindow/tinywindow v0.1.0
	github.com/tinywindow/tinywindow/api v0.1.0
	golang.org/x/mod v0.43.0
	google.golang.org/grpc v1.85.0
)

require (
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.44.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20261104224025-d1e00e9f33ab // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
