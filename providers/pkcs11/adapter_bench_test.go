//go:build cgo && !nopkcs11

package pkcs11

import (
	"context"
	"fmt"
	"testing"

	"github.com/tinywindow/tinywindow/execadapter/demo"
	"github.com/tinywindow/tinywindow/internal/adaptertest"
	"github.com/tinywindow/tinywindow/internal/latency"
	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// BenchmarkAdapterPaired runs the demo's order path (SendOrder, in-process
// venue, no audit log) with an HMAC key held in SoftHSM, order by order
// against the raw HSM calls an order needs, in the same run: C_SignInit and
// C_Sign on a session of its own with a session-object copy of the key, once
// for the adapter's signature and once for the venue's check (which C_Verify
// costs as much as), or once when the venue checks in software:
//
//	go test -run '^$' -bench AdapterPaired -benchtime 20000x -count 5 ./providers/pkcs11/
//
// The venue verifies with:
//   - shared: the signer's own handle (its session pool and key copy);
//   - own-handle: a second handle on the same HSM key (its own sessions and
//     its own session-object copy), as `demo --venue-key` with the signer's
//     URI gives;
//   - software: the same secret in software (hmac:seed=42; the key was
//     imported from it), as a venue holding its copy of an HMAC secret would.
func BenchmarkAdapterPaired(b *testing.B) {
	needKeys(b)
	uri := keyURI("hmac-mvp42")
	for _, venueKey := range []string{"shared", "own-handle", "software"} {
		b.Run("venue="+venueKey, func(b *testing.B) {
			ctx := context.Background()
			signer := testenv.MustOpen(b, uri)
			var verifier provider.Key = signer
			switch venueKey {
			case "own-handle":
				verifier = testenv.MustOpen(b, uri)
			case "software":
				verifier = hmac.NewFromSeed(42)
			}
			a := adaptertest.New(b, signer, verifier)
			k := inner(b, signer)
			sh, obj := rawSession(b, k, true)
			defer k.mod.ctx.CloseSession(sh)
			rawSign := func(o []byte) error {
				if err := k.mod.ctx.SignInit(sh, k.signMech, obj); err != nil {
					return err
				}
				_, err := k.mod.ctx.Sign(sh, o)
				return err
			}
			calls := 2 // the raw HSM calls an order needs
			if venueKey == "software" {
				calls = 1
			}
			b.ResetTimer()
			orders, base, err := demo.Paired(ctx, a, b.N, 1, func(o []byte) error {
				for range calls {
					if err := rawSign(o); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			latency.ReportCompare(b, "order", orders, fmt.Sprintf("%dxC_Sign", calls), base)
		})
	}
}
