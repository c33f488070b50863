package audit_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// Every checkpoint states the host clock's state (ReadClock by default;
// here a fixed reading). Verify bounds the stated error with MaxClockError.
func ExampleVerifyOptions_maxClockError() {
	dir, _ := os.MkdirTemp("", "audit")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "audit.log")

	key := hmac.NewFromSeed(42)
	reading := audit.Clock{State: audit.ClockSynced, MaxError: 20 * time.Millisecond, EstError: time.Millisecond, TAI: 37, Source: "chrony"}
	w, _, err := audit.Open(path, audit.Options{Signer: key, Clock: func() audit.Clock { return reading }})
	if err != nil {
		panic(err)
	}
	w.Append(audit.TypeNote, 1, []byte("market open"))
	w.Close()

	keys, _ := provider.NewKeyring(key)
	for _, bound := range []time.Duration{50 * time.Millisecond, 100 * time.Microsecond} {
		f, _ := os.Open(path)
		rep, err := audit.Verify(context.Background(), f, audit.VerifyOptions{Keys: keys, MaxClockError: bound})
		f.Close()
		if err != nil {
			fmt.Println(bound, errors.Is(err, audit.ErrClockEvidence))
			continue
		}
		fmt.Println(bound, rep.Clock.Synced, rep.Clock.MaxError, rep.Clock.Sources)
	}
	// Output:
	// 50ms 2 20ms [chrony]
	// 100µs true
}
