// Package signerpb holds the gRPC API of the TinyWindow signing service,
// generated from signer.proto.
//
// Regenerate with `go generate ./api/signerpb` after installing protoc
// (Debian protobuf-compiler) and the generators into $TW_TOOLS/bin:
//
//	GOBIN=$TW_TOOLS/bin go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	GOBIN=$TW_TOOLS/bin go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
package signerpb

//go:generate sh gen.sh
