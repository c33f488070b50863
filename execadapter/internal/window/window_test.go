package window

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
)

func TestAgainstMap(t *testing.T) {
	const window, capacity = 1000, 64
	s := New(window, capacity)
	ref := map[string]int64{}
	var order []string
	r := rand.New(rand.NewPCG(1, 2))
	now := int64(0)
	for step := range 200000 {
		now += int64(r.IntN(20))
		key := fmt.Sprintf("k%d", r.IntN(300))
		// Reference: expire by time, then by capacity.
		for len(order) > 0 && ref[order[0]] <= now-window {
			delete(ref, order[0])
			order = order[1:]
		}
		_, want := ref[key]
		if got := s.Contains([]byte(key), now); got != want {
			t.Fatalf("step %d: Contains(%s) = %v, want %v", step, key, got, want)
		}
		if got := s.Add([]byte(key), now); got != want {
			t.Fatalf("step %d: Add(%s) dup = %v, want %v", step, key, got, want)
		}
		if !want {
			if len(order) == capacity {
				delete(ref, order[0])
				order = order[1:]
			}
			ref[key] = now
			order = append(order, key)
		}
		if s.Len() != len(order) {
			t.Fatalf("step %d: Len %d, want %d", step, s.Len(), len(order))
		}
	}
	if s.Evicted == 0 {
		t.Fatal("capacity eviction never exercised")
	}
}

func TestNoAllocs(t *testing.T) {
	testenv.SkipAllocations(t)
	s := New(1e9, 1024)
	keys := make([][]byte, 4096)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "order-%d", i)
	}
	i := 0
	if n := testing.AllocsPerRun(10000, func() { s.Add(keys[i%len(keys)], int64(i)); i++ }); n != 0 {
		t.Fatalf("Add allocates %v", n)
	}
}
