package latency

import (
	"math/rand/v2"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
)

func TestValueAtQuantile(t *testing.T) {
	s := New(100)
	// 1..100 in a shuffled order: the nearest-rank percentile q is q itself.
	for _, v := range rand.Perm(100) {
		s.RecordValue(int64(v + 1))
	}
	for _, tc := range []struct {
		q    float64
		want int64
	}{
		{0, 1}, {1, 1}, {1.5, 2}, {50, 50}, {90, 90}, {99, 99}, {99.9, 100}, {100, 100}, {-5, 1}, {250, 100},
	} {
		if got := s.ValueAtQuantile(tc.q); got != tc.want {
			t.Errorf("ValueAtQuantile(%v) = %d, want %d", tc.q, got, tc.want)
		}
	}
	if s.Max() != 100 || s.Count() != 100 {
		t.Errorf("Max, Count = %d, %d; want 100, 100", s.Max(), s.Count())
	}
	// Recording after a query keeps the answers right.
	s.RecordValue(1000)
	if s.Max() != 1000 {
		t.Errorf("Max after another record = %d, want 1000", s.Max())
	}
}

func TestEmpty(t *testing.T) {
	var s Sample
	if s.ValueAtQuantile(99) != 0 || s.Max() != 0 {
		t.Error("an empty sample reports a value")
	}
}

func TestRecordWithinCapacityDoesNotAllocate(t *testing.T) {
	testenv.SkipAllocations(t)
	s := New(1000)
	if n := testing.AllocsPerRun(10, func() { s.RecordValue(7) }); n != 0 {
		t.Errorf("RecordValue allocates %v times within capacity", n)
	}
}

func TestCompare(t *testing.T) {
	path, base := New(100), New(100)
	for i := range 100 {
		path.RecordValue(int64(3 * (i + 1)))
		base.RecordValue(int64(i + 1))
	}
	got := map[string]float64{}
	for _, m := range Compare("venue", path, "echo", base) {
		got[m.Unit] = m.Value
	}
	want := map[string]float64{
		"venue-p50-ns": 150, "echo-p50-ns": 50, "p50-ratio": 3,
		"venue-p99-ns": 297, "echo-p99-ns": 99, "p99-ratio": 3,
		"venue-p999-ns": 300, "echo-p999-ns": 100, "p999-ratio": 3,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d metrics, want %d: %v", len(got), len(want), got)
	}
}

func TestAdd(t *testing.T) {
	a, b := New(2), New(2)
	a.RecordValue(300)
	a.RecordValue(100)
	_ = a.ValueAtQuantile(50) // sorts a; Add must unsort it
	b.RecordValue(50)
	b.RecordValue(200)
	a.Add(b)
	for _, tc := range []struct {
		q    float64
		want int64
	}{{0, 50}, {50, 100}, {75, 200}, {100, 300}} {
		if got := a.ValueAtQuantile(tc.q); got != tc.want {
			t.Errorf("p%v = %d, want %d", tc.q, got, tc.want)
		}
	}
	if a.Count() != 4 || b.Count() != 2 {
		t.Errorf("counts %d, %d; want 4, 2", a.Count(), b.Count())
	}
}
