//go:build cgo && !nopkcs11

package pkcs11

import (
	"crypto/sha256"
	"runtime"
	"testing"

	"github.com/miekg/pkcs11"
	"github.com/tinywindow/tinywindow/internal/testenv"
)

// The benchmarks compare the backend with a raw miekg/pkcs11 loop
// (C_SignInit + C_Sign on a session of its own) in the same run, on the token
// object and on a session-object copy of the key, single-threaded and with 4
// goroutines. Compare ns/op (or ops/s) of tinywindow with raw-session-object:
//
//	go test -run '^$' -bench . -benchtime 2s -count 5 ./providers/pkcs11/

var benchMsg = make([]byte, 64)

func BenchmarkHMACSHA256(b *testing.B) { benchKey(b, "hmac") }

func BenchmarkECDSAP256(b *testing.B) { benchKey(b, "p256") }

func benchKey(b *testing.B, object string) {
	needKeys(b)
	k := inner(b, testenv.MustOpen(b, keyURI(object)))
	mech, data := k.signMech, benchMsg
	if k.coordSize > 0 {
		d := sha256.Sum256(benchMsg)
		mech, data = k.digestMech, d[:]
	}
	raw := func(b *testing.B, copyKey bool) {
		sh, obj := rawSession(b, k, copyKey)
		defer k.mod.ctx.CloseSession(sh)
		b.ResetTimer()
		for range b.N {
			if err := k.mod.ctx.SignInit(sh, mech, obj); err != nil {
				b.Fatal(err)
			}
			if _, err := k.mod.ctx.Sign(sh, data); err != nil {
				b.Fatal(err)
			}
		}
		reportOps(b)
	}
	rawParallel := func(b *testing.B, copyKey bool) {
		setParallelism4(b)
		b.RunParallel(func(pb *testing.PB) {
			sh, obj := rawSession(b, k, copyKey)
			defer k.mod.ctx.CloseSession(sh)
			for pb.Next() {
				if err := k.mod.ctx.SignInit(sh, mech, obj); err != nil {
					b.Error(err)
					return
				}
				if _, err := k.mod.ctx.Sign(sh, data); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportOps(b)
	}
	b.Run("raw-token-object", func(b *testing.B) { raw(b, false) })
	b.Run("raw-session-object", func(b *testing.B) { raw(b, true) })
	b.Run("tinywindow", func(b *testing.B) {
		ctx := b.Context()
		for range b.N {
			if _, err := k.Sign(ctx, benchMsg); err != nil {
				b.Fatal(err)
			}
		}
		reportOps(b)
	})
	b.Run("raw-session-object-4goroutines", func(b *testing.B) { rawParallel(b, true) })
	b.Run("tinywindow-4goroutines", func(b *testing.B) {
		ctx := b.Context()
		setParallelism4(b)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := k.Sign(ctx, benchMsg); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportOps(b)
	})
}

// rawSession opens a session of the key's module and returns the key's
// token object, or a session-object copy of it made in that session.
func rawSession(b *testing.B, k *Key, copyKey bool) (pkcs11.SessionHandle, pkcs11.ObjectHandle) {
	sh, err := k.mod.ctx.OpenSession(k.slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		b.Fatal(err)
	}
	objs, err := k.findObjects(sh, pkcs11.CKO_PRIVATE_KEY)
	if err == nil && len(objs) == 0 {
		objs, err = k.findObjects(sh, pkcs11.CKO_SECRET_KEY)
	}
	if err != nil || len(objs) != 1 {
		b.Fatalf("finding the key: %v (%d objects)", err, len(objs))
	}
	obj := objs[0]
	if copyKey {
		obj, err = k.mod.ctx.CopyObject(sh, obj, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false)})
		if err != nil {
			b.Fatal(err)
		}
	}
	return sh, obj
}

// setParallelism4 makes RunParallel use at least 4 goroutines.
func setParallelism4(b *testing.B) {
	p := (4 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)
	b.SetParallelism(p)
}

func reportOps(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "ops/s")
	}
}

// BenchmarkOverhead measures what the backend adds to each operation outside
// the module: the context and closed checks, the pool borrow and return, and
// the closure, with an operation that makes no PKCS#11 call. Under load the
// module's own time varies far more than this.
func BenchmarkOverhead(b *testing.B) {
	needKeys(b)
	k := inner(b, testenv.MustOpen(b, keyURI("hmac")))
	noop := func(pkcs11.SessionHandle, *handles) error { return nil }
	b.Run("1goroutine", func(b *testing.B) {
		ctx := b.Context()
		b.ReportAllocs()
		for range b.N {
			if err := k.check(ctx); err != nil {
				b.Fatal(err)
			}
			if err := k.do(ctx, noop); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("4goroutines", func(b *testing.B) {
		ctx := b.Context()
		setParallelism4(b)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := k.do(ctx, noop); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("ecdsa-p256-digest-and-der", func(b *testing.B) {
		p := inner(b, testenv.MustOpen(b, keyURI("p256")))
		raw := make([]byte, 64)
		raw[0], raw[32] = 0x80, 0x01
		b.ReportAllocs()
		for range b.N {
			d := p.digest(nil, benchMsg)
			if _, err := p.encode(nil, raw); err != nil || len(d) != 32 {
				b.Fatal(err)
			}
		}
	})
}
