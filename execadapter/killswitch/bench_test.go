package killswitch_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/tinywindow/tinywindow/execadapter/killswitch"
)

// BenchmarkEnter measures an order's check (Enter and Leave) with no kill
// in force and with kills of other scopes in force, and, as the baseline in
// the same run, one atomic load of a pointer (the least a lock-free check
// can cost). Parallel runs one goroutine per P, all sharing the switch.
func BenchmarkEnter(b *testing.B) {
	acc, sym := []byte("ACC-1"), []byte("AAPL")
	var base atomic.Pointer[int]
	b.Run("baseline-atomic-load", func(b *testing.B) {
		for b.Loop() {
			if base.Load() != nil {
				b.Fatal("set")
			}
		}
	})
	for _, kills := range []int{0, 2, 100} {
		s := killswitch.New(killswitch.Options{})
		for i := range kills {
			sc := killswitch.Scope{Kind: killswitch.Account, Value: fmt.Sprintf("OTHER-%d", i)}
			if i%2 == 1 {
				sc = killswitch.Scope{Kind: killswitch.Symbol, Value: fmt.Sprintf("SYM-%d", i)}
			}
			if _, _, err := s.Kill(ctx, sc, "alice", "bench"); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("kills=%d", kills), func(b *testing.B) {
			for b.Loop() {
				p, k := s.Enter(acc, sym)
				if k != nil {
					b.Fatal(k)
				}
				p.Leave()
			}
		})
		b.Run(fmt.Sprintf("kills=%d/parallel", kills), func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					p, k := s.Enter(acc, sym)
					if k != nil {
						b.Fatal(k)
					}
					p.Leave()
				}
			})
		})
	}
}
