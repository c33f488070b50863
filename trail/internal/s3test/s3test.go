// Package s3test gives the trail module's tests an S3-compatible service:
// the versitygw gateway that scripts/setup.d/46-versitygw.sh starts, or
// one of a test's own that it can stop and start again.
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tinywindow/tinywindow/internal/testenv"
)

const howToGet = "source scripts/setup.d/46-versitygw.sh, which starts versitygw and exports TW_S3_ENDPOINT, TW_VERSITYGW and the AWS credentials"

// Region is the region of the test's requests when AWS_REGION is unset.
const Region = "us-east-1"

// Endpoint returns the URL of the S3 gateway of $TW_S3_ENDPOINT, ending
// the test (a skip, or a failure under CI) when it or the AWS credentials
// are missing.
func Endpoint(t testing.TB) string {
	t.Helper()
	e := os.Getenv("TW_S3_ENDPOINT")
	if e == "" || os.Getenv("AWS_ACCESS_KEY_ID") == "" || os.Getenv("AWS_SECRET_ACCESS_KEY") == "" {
		testenv.Need(t, "an S3-compatible service (TW_S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)", howToGet)
	}
	return e
}

// Client returns an S3 client of endpoint, path-style, with the
// credentials of the AWS environment.
func Client(t testing.TB, endpoint string) *s3.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(region()))
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
}

func region() string {
	if r := os.Getenv("AWS_REGION"); r != "" {
		return r
	}
	return Region
}

// Bucket creates a bucket of its own for the test, emptied and removed
// when the test ends, and returns its name.
func Bucket(t testing.TB, c *s3.Client) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	name := "tw-test-" + hex.EncodeToString(b)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("creating bucket %s: %v", name, err)
	}
	t.Cleanup(func() {
		for key := range Objects(t, c, name, "") {
			c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(name), Key: aws.String(key)})
		}
		c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)})
	})
	return name
}

// Objects returns every object of bucket whose key starts with prefix, by
// key.
func Objects(t testing.TB, c *s3.Client, bucket, prefix string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	out := map[string][]byte{}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("listing bucket %s: %v", bucket, err)
		}
		for _, o := range page.Contents {
			out[*o.Key] = Get(t, c, bucket, *o.Key)
		}
	}
	return out
}

// Get returns the object key of bucket.
func Get(t testing.TB, c *s3.Client, bucket, key string) []byte {
	t.Helper()
	r, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("reading s3://%s/%s: %v", bucket, key, err)
	}
	defer r.Body.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r.Body); err != nil {
		t.Fatalf("reading s3://%s/%s: %v", bucket, key, err)
	}
	return buf.Bytes()
}

// Gateway is a versitygw of the test's own, on a loopback port and a
// directory that outlive a Stop, so that Start brings the same gateway
// back.
type Gateway struct {
	t      testing.TB
	dir    string
	port   int
	cmd    *exec.Cmd
	exited chan error
}

// StartGateway starts a versitygw of the test's own ($TW_VERSITYGW) with
// its posix backend on a new directory, the AWS environment's credentials
// as its root's, and a bucket named bucket. The gateway is stopped when
// the test ends.
func StartGateway(t testing.TB, bucket string) *Gateway {
	t.Helper()
	bin := os.Getenv("TW_VERSITYGW")
	if bin == "" {
		testenv.Need(t, "versitygw (TW_VERSITYGW)", howToGet)
	}
	Endpoint(t) // the credentials
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &Gateway{t: t, dir: t.TempDir(), port: l.Addr().(*net.TCPAddr).Port}
	l.Close()
	// A bucket of the posix backend is a directory of its root.
	if err := os.Mkdir(g.dir+"/"+bucket, 0o755); err != nil {
		t.Fatal(err)
	}
	g.Start()
	t.Cleanup(g.Stop)
	return g
}

// Endpoint returns the gateway's URL.
func (g *Gateway) Endpoint() string { return "http://127.0.0.1:" + strconv.Itoa(g.port) }

// Start starts the gateway, if it is not running, and returns once it
// answers.
func (g *Gateway) Start() {
	g.t.Helper()
	if g.cmd != nil {
		return
	}
	cmd := exec.Command(os.Getenv("TW_VERSITYGW"), "--port", "127.0.0.1:"+strconv.Itoa(g.port),
		"--region", region(), "--quiet", "posix", g.dir)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+os.Getenv("AWS_ACCESS_KEY_ID"),
		"ROOT_SECRET_ACCESS_KEY="+os.Getenv("AWS_SECRET_ACCESS_KEY"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		g.t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	c := Client(g.t, g.Endpoint())
	// Not a deadline the test measures: a gateway that never answers
	// ends the wait.
	giveUp := time.After(time.Minute)
	for {
		_, err := c.ListBuckets(context.Background(), &s3.ListBucketsInput{})
		if err == nil {
			break
		}
		select {
		case werr := <-exited:
			g.t.Fatalf("versitygw on port %d exited (%v): %s", g.port, werr, out.Bytes())
		case <-giveUp:
			cmd.Process.Kill()
			g.t.Fatalf("versitygw on port %d does not answer: %v\n%s", g.port, err, out.Bytes())
		case <-time.After(50 * time.Millisecond):
		}
	}
	g.cmd, g.exited = cmd, exited
}

// Stop kills the gateway, if it is running, and waits for it to exit.
func (g *Gateway) Stop() {
	if g.cmd == nil {
		return
	}
	g.cmd.Process.Kill()
	<-g.exited
	g.cmd = nil
}
