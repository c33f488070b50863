module github.com/tinywindow/tinywindow

go 1.26.0

require (
	github.com/cloudflare/circl v1.6.5
	github.com/miekg/pkcs11 v1.1.2
	go.yaml.in/yaml/v3 v3.0.6
	golang.org/x/crypto v0.59.0
	golang.org/x/mod v0.43.0
	golang.org/x/sys v0.50.0
)
