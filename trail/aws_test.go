package trail

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/trail/internal/s3test"
)

// TestOpenAWS opens aws: storage on MariaDB and versitygw, appends
// entries through Tessera with a note signer, and reads the signed
// checkpoint back from the bucket with a client of its own: it verifies
// and covers the entries, whose bundle holds them. The storage's
// OriginStore works on the same database.
func TestOpenAWS(t *testing.T) {
	// Tessera's goroutines end with ctx, before the test's database is
	// dropped.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	endpoint := s3test.Endpoint(t)
	dsn := testDatabase(t)
	c := s3test.Client(t, endpoint)
	bucket := s3test.Bucket(t, c)
	t.Setenv("TW_TEST_TRAIL_DSN", dsn.FormatDSN())
	s, err := OpenStorage(ctx, fmt.Sprintf("aws:bucket=%s;endpoint=%s;region=%s?dsn-source=env:TW_TEST_TRAIL_DSN", bucket, endpoint, s3test.Region))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.MinCheckpointInterval != time.Second {
		t.Errorf("MinCheckpointInterval %v, want 1s (Tessera's AWS driver refuses less)", s.MinCheckpointInterval)
	}

	const origin = "trail.test/aws"
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	appender, shutdown, reader, err := tessera.NewAppender(ctx, s.Driver, tessera.NewAppendOptions().
		WithCheckpointSigner(signer).WithBatching(64, 10*time.Millisecond).WithCheckpointInterval(s.MinCheckpointInterval))
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(ctx)
	awaiter := tessera.NewPublicationAwaiter(ctx, reader.ReadCheckpoint, 100*time.Millisecond)
	const n = 20
	var futures []tessera.IndexFuture
	for i := range n {
		futures = append(futures, appender.Add(ctx, tessera.NewEntry(fmt.Appendf(nil, "entry %d", i))))
	}
	var last tessera.Index
	for _, f := range futures {
		idx, _, err := awaiter.Await(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if idx.Index > last.Index {
			last = idx
		}
	}
	if last.Index != n-1 {
		t.Errorf("last entry at index %d, want %d", last.Index, n-1)
	}

	// The checkpoint as the bucket holds it.
	raw := s3test.Get(t, c, bucket, "checkpoint")
	cp, _, _, err := client.FetchCheckpoint(ctx, func(context.Context) ([]byte, error) { return raw, nil }, verifier, origin)
	if err != nil {
		t.Fatalf("the bucket's checkpoint: %v", err)
	}
	if cp.Size < n {
		t.Fatalf("the bucket's checkpoint has size %d, want at least %d", cp.Size, n)
	}
	b, err := client.GetEntryBundle(ctx, func(ctx context.Context, i uint64, p uint8) ([]byte, error) {
		return s3test.Get(t, c, bucket, fmt.Sprintf("tile/entries/%03d.p/%d", i, p)), nil
	}, 0, cp.Size)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if got, want := string(b.Entries[i]), fmt.Sprintf("entry %d", i); got != want {
			t.Errorf("entry %d in the bucket: %q, want %q", i, got, want)
		}
	}

	if err := s.Origins.Update(ctx, origin, func(Accepted, bool) (*Accepted, error) { return testAccepted(origin, 3), nil }); err != nil {
		t.Fatal(err)
	}
	if a, ok, err := s.Origins.Latest(ctx, origin); err != nil || !ok || a.N != 3 {
		t.Errorf("the storage's OriginStore: %+v, %v, %v", a, ok, err)
	}
}

// TestOpenAWSRefuses checks that a malformed aws: spec, or a DSN source
// that gives no DSN, is refused before anything is opened, with a message
// that says what to mend and never shows the DSN.
func TestOpenAWSRefuses(t *testing.T) {
	const secret = "s3cr3t-passw0rd"
	t.Setenv("TW_TEST_BAD_DSN", "user:"+secret+"@tcp(127.0.0.1:1)")
	t.Setenv("TW_TEST_NODB_DSN", "user:"+secret+"@tcp(127.0.0.1:1)/")
	loose := filepath.Join(t.TempDir(), "dsn")
	if err := os.WriteFile(loose, []byte("user:"+secret+"@tcp(127.0.0.1:1)/db"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		spec, want string
		is         error
	}{
		{"aws:endpoint=http://127.0.0.1:1?dsn-source=env:TW_TEST_BAD_DSN", "bucket= is missing", nil},
		{"aws:bucket=b", "dsn-source= is missing", nil},
		{"aws:bucket=b?dsn=user:" + secret + "@tcp(h)/db", `unknown attribute "dsn"`, provider.ErrInvalidConfig},
		{"aws:bucket=b;bucket=c?dsn-source=env:TW_TEST_BAD_DSN", "more than once", provider.ErrInvalidConfig},
		{"aws:bucket=b?dsn-source=env:TW_TEST_UNSET_DSN", `"TW_TEST_UNSET_DSN" is not set`, provider.ErrInvalidConfig},
		{"aws:bucket=b?dsn-source=" + secret, "env:NAME or file:PATH", provider.ErrInvalidConfig},
		{"aws:bucket=b?dsn-source=env:TW_TEST_BAD_DSN", "not a MySQL DSN", nil},
		{"aws:bucket=b?dsn-source=env:TW_TEST_NODB_DSN", "names no database", nil},
		{"aws:bucket=b?dsn-source=file:" + loose, "chmod 600", provider.ErrInvalidConfig},
		{"aws", "write one of aws:…, posix:…", provider.ErrInvalidConfig},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			s, err := OpenStorage(context.Background(), tc.spec)
			if err == nil {
				s.Close()
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not match %v", err, tc.is)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}
