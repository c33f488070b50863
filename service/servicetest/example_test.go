package servicetest_test

import (
	"context"
	"fmt"
	"os"

	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/hmac"
	_ "github.com/tinywindow/tinywindow/providers/remote"
	"github.com/tinywindow/tinywindow/service"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

// exampleTB stands in for the *testing.T a test would pass.
type exampleTB struct{ cleanups []func() }

func (*exampleTB) Helper()            {}
func (*exampleTB) Fatal(args ...any)  { panic(fmt.Sprint(args...)) }
func (*exampleTB) Log(...any)         {}
func (e *exampleTB) Cleanup(f func()) { e.cleanups = append(e.cleanups, f) }
func (e *exampleTB) TempDir() string {
	d, err := os.MkdirTemp("", "servicetest")
	if err != nil {
		panic(err)
	}
	e.Cleanup(func() { os.RemoveAll(d) })
	return d
}
func (e *exampleTB) done() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
}

// A throwaway CA, a service with mutual TLS on loopback, and a client that
// signs through it. In a test, pass t instead of exampleTB.
func Example() {
	t := &exampleTB{}
	defer t.done()
	ca := servicetest.NewCA(t, "example CA")
	cfg := &service.Config{
		Listen:  "127.0.0.1:0",
		TLS:     ca.TLS(ca.Server(t)),
		Keys:    map[string]service.Key{"orders": {URI: "hmac:seed=42"}},
		Clients: []service.Client{{Identity: "trader", Keys: []string{"orders"}, Operations: []string{"sign"}}},
	}
	_, addr := servicetest.Start(t, cfg, service.Options{})

	ctx := context.Background()
	k, err := provider.Open(ctx, "remote:addr="+addr+";key=orders?"+ca.Query(ca.Client(t, "trader")))
	if err != nil {
		panic(err)
	}
	defer k.Close()
	tag, err := k.Sign(ctx, []byte("hello deterministic world"))
	fmt.Printf("%x %v\n", tag[:4], err)
	// Output: 1666c07b <nil>
}
