module github.com/tinywindow/tinywindow/providers/composite/interop

go 1.26.0

require (
	github.com/tink-crypto/tink-go/v2 v2.9.0
	github.com/tinywindow/tinywindow v0.1.0
)

require (
	github.com/cloudflare/circl v1.6.5 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
