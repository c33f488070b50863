// Package s3export is the S3 target of an audit log's export
// (audit.Export, tinywindow audit export --to s3://…): an S3-compatible
// bucket that any C2SP tlog-tiles client can read, through the bucket's
// own HTTP endpoint or a CDN in front of it.
package s3export

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/tinywindow/tinywindow/execadapter/audit"
)

// Target is an [audit.ExportTarget] on an S3-compatible bucket: the file
// at path is the object PREFIX/path. An S3 PUT replaces an object
// atomically and durably once it returns, so Put needs no staging and Sync
// has nothing to do.
type Target struct {
	client *s3.Client
	bucket string
	prefix string // "" or ending in "/"
	name   string // s3://BUCKET/PREFIX, for messages
}

var _ audit.ExportTarget = (*Target)(nil)

// Open returns the target rawURL names:
//
//	s3://BUCKET/PREFIX?endpoint=URL&region=R
//
// PREFIX (optional) is the key prefix of the export's objects; endpoint
// (optional) is the URL of an S3-compatible service, which is addressed
// path-style (URL/BUCKET/KEY); region (optional) overrides the AWS
// environment's. The credentials come from the standard AWS environment
// (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, or a role),
// never from the URL. Open makes no request.
func Open(ctx context.Context, rawURL string) (*Target, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("export target: %w", err)
	}
	name := "s3://" + u.Host + u.Path
	switch {
	case u.Scheme != "s3":
		return nil, fmt.Errorf("export target %s: not an s3:// URL", name)
	case u.Host == "":
		return nil, fmt.Errorf("export target %s: no bucket: write s3://BUCKET/PREFIX", name)
	case u.User != nil:
		return nil, fmt.Errorf("export target %s: credentials in the URL: give them through the AWS environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) instead", name)
	case u.Fragment != "":
		return nil, fmt.Errorf("export target %s: a URL fragment (#…) is not part of an S3 location", name)
	}
	q := u.Query()
	for k, v := range q {
		switch {
		case k != "endpoint" && k != "region":
			return nil, fmt.Errorf("export target %s: unknown parameter %q; allowed: endpoint, region", name, k)
		case len(v) != 1:
			return nil, fmt.Errorf("export target %s: parameter %q given %d times", name, k, len(v))
		}
	}
	prefix := strings.Trim(u.Path, "/")
	if prefix != "" {
		if !fs.ValidPath(prefix) {
			return nil, fmt.Errorf("export target %s: the prefix %q holds an empty, . or .. element", name, prefix)
		}
		prefix += "/"
	}
	var opts []func(*awsconfig.LoadOptions) error
	if r := q.Get("region"); r != "" {
		opts = append(opts, awsconfig.WithRegion(r))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("export target %s: loading the AWS configuration: %w", name, err)
	}
	endpoint := q.Get("endpoint")
	if endpoint != "" {
		if e, err := url.Parse(endpoint); err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" {
			return nil, fmt.Errorf("export target %s: endpoint %q is not an http:// or https:// URL", name, endpoint)
		}
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.UsePathStyle = true
	})
	return &Target{client: client, bucket: u.Host, prefix: prefix, name: "s3://" + u.Host + "/" + prefix}, nil
}

// String returns the target as s3://BUCKET/PREFIX/.
func (t *Target) String() string { return t.name }

// key returns the object key of the file at path, a slash-separated
// relative path (fs.ValidPath) other than ".".
func (t *Target) key(path string) (string, error) {
	if !fs.ValidPath(path) || path == "." {
		return "", fmt.Errorf("export target %s: file %q: not a relative path without . or .. elements", t.name, path)
	}
	return t.prefix + path, nil
}

// Get returns the object of the file at path, an error matching
// fs.ErrNotExist if there is none, and an error for an object larger than
// audit.MaxExportFile, which it does not read, or for a bucket that does
// not exist.
func (t *Target) Get(ctx context.Context, path string) ([]byte, error) {
	key, err := t.key(path)
	if err != nil {
		return nil, err
	}
	out, err := t.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(t.bucket), Key: aws.String(key)})
	if err != nil {
		var nsk *types.NoSuchKey
		var api smithy.APIError
		if errors.As(err, &nsk) || errors.As(err, &api) && api.ErrorCode() == "NotFound" {
			return nil, fmt.Errorf("export target %s: %s: %w", t.name, path, fs.ErrNotExist)
		}
		if errors.As(err, &api) && api.ErrorCode() == "NoSuchBucket" {
			return nil, fmt.Errorf("export target %s: reading %s: the bucket %q does not exist (create it first): %w", t.name, path, t.bucket, err)
		}
		return nil, fmt.Errorf("export target %s: reading %s: %w", t.name, path, err)
	}
	defer out.Body.Close()
	const limit = audit.MaxExportFile
	if out.ContentLength != nil && *out.ContentLength > limit {
		return nil, fmt.Errorf("export target %s: %s: %d bytes, more than the %d of the largest file of an export", t.name, path, *out.ContentLength, limit)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(out.Body, limit+1)); err != nil {
		return nil, fmt.Errorf("export target %s: reading %s: %w", t.name, path, err)
	}
	if buf.Len() > limit {
		return nil, fmt.Errorf("export target %s: %s: more than the %d bytes of the largest file of an export", t.name, path, limit)
	}
	return buf.Bytes(), nil
}

// Put writes data to the object of the file at path with one PUT, which
// replaces any object there atomically.
func (t *Target) Put(ctx context.Context, path string, data []byte) error {
	key, err := t.key(path)
	if err != nil {
		return err
	}
	_, err = t.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(t.bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		ContentType:   aws.String(contentType(path)),
	})
	if err != nil {
		return fmt.Errorf("export target %s: writing %s: %w", t.name, path, err)
	}
	return nil
}

// contentType is the media type of an export's file: text for the
// checkpoint, bytes for tiles and entry bundles.
func contentType(path string) string {
	if path == "checkpoint" {
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// Sync returns ctx's error, if any: every Put that returned is in place
// and durable already.
func (t *Target) Sync(ctx context.Context) error { return ctx.Err() }
