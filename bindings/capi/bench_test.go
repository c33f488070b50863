package main

import (
	stdhmac "crypto/hmac"
	"crypto/sha256"
	"fmt"
	"testing"
)

// The Raw benchmark is the baseline: crypto/hmac with one reused state. The
// others are the Go side of the C API's hot paths (the cgo crossing and
// Python's ctypes are measured by python/bench.py).

var benchSizes = []int{32, 1024}

func BenchmarkRawHMAC(b *testing.B) {
	key := mvpKeygen(42)
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			msg := make([]byte, n)
			h := stdhmac.New(sha256.New, key[:])
			var out [32]byte
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				h.Reset()
				h.Write(msg)
				h.Sum(out[:0])
			}
		})
	}
}

func BenchmarkMVPSign(b *testing.B) {
	key := mvpKeygen(42)
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			msg := make([]byte, n)
			var out [mvpSigSize]byte
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if err := mvpSign(key[:], msg, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkHandleSign(b *testing.B) {
	h, err := openKey("hmac:seed=42")
	if err != nil {
		b.Fatal(err)
	}
	defer closeKey(h)
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			msg := make([]byte, n)
			out := make([]byte, 64)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := signInto(h, msg, out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkHandleSignParallel(b *testing.B) {
	h, err := openKey("hmac:seed=42")
	if err != nil {
		b.Fatal(err)
	}
	defer closeKey(h)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		msg := make([]byte, 32)
		out := make([]byte, 64)
		for pb.Next() {
			if _, err := signInto(h, msg, out); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
