package latency

// Metric is one value of a comparison, in the form Go benchmarks report
// (testing.B.ReportMetric(m.Value, m.Unit)).
type Metric struct {
	Value float64
	Unit  string
}

// Quantiles are the percentiles a comparison reports.
var Quantiles = []struct {
	Q    float64
	Name string
}{{50, "p50"}, {99, "p99"}, {99.9, "p999"}}

// Compare returns the percentiles of a path and of its baseline measured in
// the same run ("NAME-p99-ns", "BASE-p99-ns") and the path's ratio to the
// baseline at each ("p99-ratio").
func Compare(name string, path *Sample, baseName string, base *Sample) []Metric {
	var ms []Metric
	for _, q := range Quantiles {
		g, r := path.ValueAtQuantile(q.Q), base.ValueAtQuantile(q.Q)
		ms = append(ms, Metric{float64(g), name + "-" + q.Name + "-ns"}, Metric{float64(r), baseName + "-" + q.Name + "-ns"})
		if r > 0 {
			ms = append(ms, Metric{float64(g) / float64(r), q.Name + "-ratio"})
		}
	}
	return ms
}
