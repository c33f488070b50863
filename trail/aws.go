package trail

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/go-sql-driver/mysql"
	tesseraaws "github.com/transparency-dev/tessera/storage/aws"

	"github.com/tinywindow/tinywindow/provider"
)

func init() { storageSchemes["aws"] = openAWS }

// awsMinCheckpointInterval is the shortest checkpoint interval Tessera's
// AWS driver accepts.
const awsMinCheckpointInterval = time.Second

// awsSpec is a parsed aws: storage spec.
type awsSpec struct {
	bucket, endpoint, region, dsnSource string
}

// parseAWSSpec parses the part of an aws: storage spec after "aws:":
//
//	bucket=B;endpoint=URL;region=R?dsn-source=env:NAME|file:PATH
//
// bucket and dsn-source are required; endpoint (an S3-compatible service,
// addressed path-style) and region (else the AWS environment's) are not.
// The DSN holds a password, so it is only ever named by a source.
func parseAWSSpec(rest string) (awsSpec, error) {
	u, err := provider.ParseURI("aws:" + rest)
	if err != nil {
		return awsSpec{}, err
	}
	if err := u.Check("aws", "bucket", "endpoint", "region", "dsn-source"); err != nil {
		return awsSpec{}, err
	}
	var s awsSpec
	s.bucket, _ = u.Get("bucket")
	s.endpoint, _ = u.Get("endpoint")
	s.region, _ = u.Get("region")
	s.dsnSource, _ = u.Get("dsn-source")
	switch {
	case s.bucket == "":
		return awsSpec{}, errors.New("bucket= is missing: name the S3 bucket that holds the trail's tiles")
	case s.dsnSource == "":
		return awsSpec{}, errors.New("dsn-source= is missing: name the MySQL DSN's source, env:NAME or file:PATH (the DSN holds a password, so it is never written in the spec)")
	}
	return s, nil
}

// openAWS opens the storage of an aws: spec: Tessera's AWS driver on an
// S3-compatible bucket (path-style addressing, credentials from the
// standard AWS environment) and a MySQL-compatible database, whose DSN it
// reads from the spec's dsn-source, and a [mysqlOrigins] on the same
// database.
func openAWS(ctx context.Context, rest string) (*Storage, error) {
	spec, err := parseAWSSpec(rest)
	if err != nil {
		return nil, fmt.Errorf("trail storage aws: %w", err)
	}
	dsn, err := readDSN(spec.dsnSource)
	if err != nil {
		return nil, fmt.Errorf("trail storage aws: %w", err)
	}
	var opts []func(*awsconfig.LoadOptions) error
	if spec.region != "" {
		opts = append(opts, awsconfig.WithRegion(spec.region))
	}
	sdk, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("trail storage aws: bucket %q: loading the AWS configuration: %w", spec.bucket, err)
	}
	driver, err := tesseraaws.New(ctx, tesseraaws.Config{
		SDKConfig: &sdk,
		S3Options: s3Options(spec.endpoint),
		Bucket:    spec.bucket,
		DSN:       dsn.FormatDSN(),
	})
	if err != nil {
		return nil, fmt.Errorf("trail storage aws: bucket %q: %w", spec.bucket, err)
	}
	origins, err := openMySQLOrigins(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("trail storage aws: %w", err)
	}
	return &Storage{
		Driver:                driver,
		Origins:               origins,
		MinCheckpointInterval: awsMinCheckpointInterval,
		Close:                 origins.Close,
	}, nil
}

// s3Options addresses buckets path-style ("ENDPOINT/BUCKET/KEY"), as
// S3-compatible services other than AWS's expect, at endpoint when it is
// not empty.
func s3Options(endpoint string) func(*s3.Options) {
	return func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.UsePathStyle = true
	}
}

// readDSN reads and parses the MySQL DSN that source names. Its errors
// name the source, never the DSN, which holds a password.
func readDSN(source string) (*mysql.Config, error) {
	b, err := provider.ReadSecret(source)
	if err != nil {
		return nil, fmt.Errorf("dsn-source: %w", err)
	}
	defer provider.Zero(b)
	cfg, err := mysql.ParseDSN(string(b))
	if err != nil {
		return nil, fmt.Errorf("dsn-source %q: not a MySQL DSN (user:password@tcp(host:port)/database): %w", source, err)
	}
	if cfg.DBName == "" {
		return nil, fmt.Errorf("dsn-source %q: the DSN names no database: end it with /DATABASE", source)
	}
	return cfg, nil
}
