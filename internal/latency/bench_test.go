package latency_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/tinywindow/tinywindow/internal/latency"
)

var _ latency.B = (*testing.B)(nil)

// TestInterleave runs Interleave in a real benchmark and checks that it
// calls both functions once an iteration, alternating which goes first, and
// reports Compare's metrics under the names given.
func TestInterleave(t *testing.T) {
	var calls []string
	r := testing.Benchmark(func(b *testing.B) {
		calls = calls[:0] // testing.Benchmark may run the function more than once
		latency.Interleave(b, "ours", func() error { calls = append(calls, "ours"); return nil },
			"raw", func() error { calls = append(calls, "raw"); return nil })
	})
	if r.N == 0 || len(calls) != 2*r.N {
		t.Fatalf("N = %d, %d calls; want 2 calls an iteration", r.N, len(calls))
	}
	for i := 0; i+1 < len(calls); i += 2 {
		want := []string{"ours", "raw"}
		if i/2%2 == 1 {
			want = []string{"raw", "ours"}
		}
		if !slices.Equal(calls[i:i+2], want) {
			t.Fatalf("iteration %d called %v, want %v", i/2, calls[i:i+2], want)
		}
	}
	for _, unit := range []string{"ours-p50-ns", "raw-p50-ns", "ours-p999-ns", "raw-p999-ns"} {
		if _, ok := r.Extra[unit]; !ok {
			t.Errorf("metrics %v lack %q", r.Extra, unit)
		}
	}
}

// TestTimeFails checks that an error from the timed function fails the
// benchmark (testing.Benchmark returns a zero result for a failed one).
func TestTimeFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		fail bool
	}{{"nil", nil, false}, {"error", errors.New("sign: closed"), true}} {
		r := testing.Benchmark(func(b *testing.B) {
			for b.Loop() {
				latency.Time(b, func() error { return tc.err })
			}
		})
		if failed := r.N == 0; failed != tc.fail {
			t.Errorf("%s: benchmark failed = %v, want %v", tc.name, failed, tc.fail)
		}
	}
}

func TestReport(t *testing.T) {
	r := testing.Benchmark(func(b *testing.B) {
		s := latency.New(3)
		for _, v := range []int64{100, 200, 300} {
			s.RecordValue(v)
		}
		for b.Loop() {
		}
		latency.Report(b, "sign-", s)
	})
	want := map[string]float64{"sign-p50-ns": 200, "sign-p99-ns": 300, "sign-p999-ns": 300}
	for unit, v := range want {
		if r.Extra[unit] != v {
			t.Errorf("%s = %v, want %v (all: %v)", unit, r.Extra[unit], v, r.Extra)
		}
	}
}

// TestMeasure checks that Measure calls op once an iteration and reports
// the percentiles without a prefix.
func TestMeasure(t *testing.T) {
	calls := 0
	r := testing.Benchmark(func(b *testing.B) {
		calls = 0
		latency.Measure(b, func() error { calls++; return nil })
	})
	if r.N == 0 || calls != r.N {
		t.Fatalf("N = %d, %d calls; want one call an iteration", r.N, calls)
	}
	for _, unit := range []string{"p50-ns", "p99-ns", "p999-ns"} {
		if _, ok := r.Extra[unit]; !ok {
			t.Errorf("metrics %v lack %q", r.Extra, unit)
		}
	}
}
