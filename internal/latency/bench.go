package latency

import "time"

// B is the part of *testing.B that [Time], [Measure], [Report],
// [ReportCompare] and [Interleave] use; a *testing.B is one. Taking an
// interface keeps the testing package out of the programs that record
// latencies (the demo).
type B interface {
	Helper()
	Fatal(args ...any)
	Loop() bool
	ReportMetric(n float64, unit string)
}

// Time runs op and returns how long it took in nanoseconds. An error from op
// fails b.
func Time(b B, op func() error) int64 {
	b.Helper()
	t0 := time.Now()
	err := op()
	d := time.Since(t0)
	if err != nil {
		b.Fatal(err)
	}
	return int64(d)
}

// Measure runs op in b's loop and reports its percentiles ([Report], no
// prefix). An error from op fails b.
func Measure(b B, op func() error) {
	b.Helper()
	s := New(0)
	for b.Loop() {
		s.RecordValue(Time(b, op))
	}
	Report(b, "", s)
}

// Report adds the percentiles of s ([Quantiles]) to b as metrics named
// prefix+"p50-ns", prefix+"p99-ns" and prefix+"p999-ns".
func Report(b B, prefix string, s *Sample) {
	for _, q := range Quantiles {
		b.ReportMetric(float64(s.ValueAtQuantile(q.Q)), prefix+q.Name+"-ns")
	}
}

// ReportCompare adds the metrics of [Compare] (path, named name, against
// base, named baseName) to b.
func ReportCompare(b B, name string, path *Sample, baseName string, base *Sample) {
	for _, m := range Compare(name, path, baseName, base) {
		b.ReportMetric(m.Value, m.Unit)
	}
}

// Interleave runs path and base once each in every iteration of b's loop,
// so that both meet the same load on a shared machine, and reports
// [Compare] of path, named name, against base, named baseName. The one that
// goes first alternates from one iteration to the next, so that neither
// always finds the warmer connection or cache. An error from either fails b.
func Interleave(b B, name string, path func() error, baseName string, base func() error) {
	b.Helper()
	p, q := New(0), New(0)
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			p.RecordValue(Time(b, path))
			q.RecordValue(Time(b, base))
		} else {
			q.RecordValue(Time(b, base))
			p.RecordValue(Time(b, path))
		}
	}
	ReportCompare(b, name, p, baseName, q)
}
