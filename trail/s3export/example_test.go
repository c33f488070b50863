package s3export_test

import (
	"context"
	"fmt"

	"github.com/tinywindow/tinywindow/trail/s3export"
)

// An export target on a bucket of an S3-compatible service, addressed
// path-style at its endpoint; the credentials come from the AWS
// environment, never from the URL. audit.Export writes to it.
func ExampleOpen() {
	ctx := context.Background()
	t, err := s3export.Open(ctx, "s3://audit/orders?endpoint=http://127.0.0.1:7070&region=eu-west-2")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t)
	_, err = s3export.Open(ctx, "s3://key:secret@audit/orders")
	fmt.Println(err != nil)
	// Output:
	// s3://audit/orders/
	// true
}
