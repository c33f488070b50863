// Package latency records latencies and reports exact percentiles.
//
// A [Sample] keeps every value it is given, so its percentiles are exact
// (nearest rank) rather than bucketed; it suits runs of a known, bounded
// length such as the demo and benchmarks. Streaming measurements of unbounded
// length (tinywindow bench) use an HDR histogram instead.
package latency

import (
	"math"
	"slices"
)

// Sample is a set of recorded values, usually nanoseconds. The zero value is
// ready to use; it is not safe for concurrent use.
type Sample struct {
	values []int64
	sorted bool
}

// New returns a Sample with room for n values, so that recording up to n
// values does not allocate.
func New(n int) *Sample {
	return &Sample{values: make([]int64, 0, max(n, 0))}
}

// RecordValue adds v to the sample.
func (s *Sample) RecordValue(v int64) {
	s.values = append(s.values, v)
	s.sorted = false
}

// Add records every value of o in s, as when goroutines that each kept a
// sample of their own are done.
func (s *Sample) Add(o *Sample) {
	s.values = append(s.values, o.values...)
	s.sorted = false
}

// Count is the number of values recorded.
func (s *Sample) Count() int { return len(s.values) }

// ValueAtQuantile returns the smallest recorded value that at least q percent
// of the values do not exceed (the nearest-rank percentile), for q in
// [0, 100]. It returns 0 for an empty sample.
func (s *Sample) ValueAtQuantile(q float64) int64 {
	n := len(s.values)
	if n == 0 {
		return 0
	}
	if !s.sorted {
		slices.Sort(s.values)
		s.sorted = true
	}
	rank := int(math.Ceil(min(max(q, 0), 100) / 100 * float64(n)))
	return s.values[min(max(rank-1, 0), n-1)]
}

// Max returns the largest recorded value, or 0 for an empty sample.
func (s *Sample) Max() int64 { return s.ValueAtQuantile(100) }
