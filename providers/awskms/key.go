package awskms

import (
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// base is the service state every awskms key holds: the client, the parsed
// URI, and what DescribeKey said of the key. The handle's own state (its
// description, whether it is closed) is a cloudkey.Handle beside it.
type base struct {
	client *kms.Client
	opts   *options
	spec   *keySpec
	arn    string // the key ARN DescribeKey returned when the key was opened
}

// KeyARN returns the ARN of the KMS key, as DescribeKey returned it.
func (b *base) KeyARN() string { return b.arn }
