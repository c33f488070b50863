package trail_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
	"github.com/tinywindow/tinywindow/providers/pem"
	"github.com/tinywindow/tinywindow/trail"
)

// A trail on POSIX storage takes an adapter log's checkpoints: an audit
// log forwards each one it signs (audit.Options.Trails), the trail checks
// its signature and its consistency with the last one accepted, and
// answers with its index in the trail. GET /origin/ORIGIN gives the last
// one it accepted.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "trail-example")
	defer os.RemoveAll(dir)

	// The trail's own key: Ed25519, in a PEM file of its own.
	priv, _ := pem.GenerateKey(provider.Ed25519)
	text, _ := pem.MarshalPrivateKey(priv)
	os.WriteFile(filepath.Join(dir, "trail.pem"), text, 0o600)
	trailKey, err := provider.Open(ctx, "pem:key-source=file:"+filepath.Join(dir, "trail.pem"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer trailKey.Close()
	// The adapter log's checkpoint key (an HMAC key here).
	logKey := hmac.NewFromSeed(7)

	st, err := trail.OpenStorage(ctx, "posix:"+filepath.Join(dir, "trail"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	srv, err := trail.New(ctx, trail.Config{Storage: st, Signer: trailKey, Origin: "example.com/trail",
		Logs: []trail.LogKey{{Origin: "example.com/adapter-a", Keys: []provider.Verifier{logKey}}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close(ctx)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	log, _, err := audit.Open(filepath.Join(dir, "orders.log"), audit.Options{Signer: logKey, Origin: "example.com/adapter-a",
		Trails: []audit.Trail{{URL: ts.URL}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	log.Append(audit.TypeOrder, 1, []byte(`{"id":1}`))
	log.Close() // signs a last checkpoint and gives the trail its timeout to accept it

	resp, err := http.Get(ts.URL + "/origin/example.com%2Fadapter-a")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	// "index I", then the last checkpoint accepted, the log's final one.
	_, note, _ := strings.Cut(string(b), "\n")
	origin, _, _ := strings.Cut(note, "\n")
	fmt.Println(resp.Status, origin)
	// Output: 200 OK example.com/adapter-a
}
