package telemetry

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

var _ sdkmetric.Producer = (*Metrics)(nil)

const numBounds = 18

var bounds = [numBounds]float64{
	0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
}

// boundsSlice is shared by every data point; readers do not modify it.
var boundsSlice = bounds[:]

var boundsNanos = func() [numBounds]int64 {
	var out [numBounds]int64
	for i, b := range bounds {
		out[i] = int64(b * 1e9)
	}
	return out
}()

// DurationBounds returns the upper bounds, in seconds, of the latency
// histogram's buckets: from 5 µs (an in-process HMAC) to 2.5 s (a distant
// KMS having a bad day).
func DurationBounds() []float64 { return append([]float64(nil), bounds[:]...) }

// Metrics aggregates the measurements of wrapped keys in memory, with atomic
// counters (no lock and no allocation per call), and hands them to
// OpenTelemetry when a reader collects: it is an sdkmetric.Producer.
// Register it with the reader that exports your metrics:
//
//	m := telemetry.NewMetrics()
//	reader := sdkmetric.NewPeriodicReader(exporter, sdkmetric.WithProducer(m))
//	exp, _ := prometheus.New(prometheus.WithProducer(m)) // go.opentelemetry.io/otel/exporters/prometheus
//
// The OpenTelemetry SDK's own synchronous instruments cost several hundred
// nanoseconds per measurement; aggregating here keeps the wrapper's cost to
// a few atomic additions. The data are cumulative, starting when a key's
// operation was first wrapped.
type Metrics struct {
	mu    sync.Mutex
	start time.Time
	ops   []*opStats
	index map[attribute.Distinct]*opStats
}

// NewMetrics returns an empty Metrics.
func NewMetrics() *Metrics {
	return &Metrics{start: time.Now(), index: map[attribute.Distinct]*opStats{}}
}

// opStats are the counters of one operation of one key.
type opStats struct {
	attrs   attribute.Set
	errSets [numKinds]attribute.Set
	start   time.Time

	buckets [numBounds + 1]atomic.Uint64
	sumNs   atomic.Int64
	errs    [numKinds]atomic.Uint64
}

// stats returns the counters for an attribute set, the same ones for the
// same set.
func (m *Metrics) stats(attrs []attribute.KeyValue) *opStats {
	set := attribute.NewSet(attrs...)
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.index[set.Equivalent()]; ok {
		return s
	}
	s := &opStats{attrs: set, start: time.Now()}
	for i := range numKinds {
		s.errSets[i] = attribute.NewSet(append(attrs[:len(attrs):len(attrs)], AttrErrorType.String(kindNames[i]))...)
	}
	m.index[set.Equivalent()] = s
	m.ops = append(m.ops, s)
	return s
}

func (s *opStats) record(d time.Duration, err error) {
	ns := int64(d)
	i := 0
	for i < len(boundsNanos) && ns > boundsNanos[i] {
		i++
	}
	s.buckets[i].Add(1)
	s.sumNs.Add(ns)
	if err != nil {
		s.errs[kindOf(err)].Add(1)
	}
}

// Produce returns the current totals: tinywindow.signer.operations,
// tinywindow.signer.duration and tinywindow.signer.errors. It is safe to
// call concurrently with recording and with itself.
func (m *Metrics) Produce(context.Context) ([]metricdata.ScopeMetrics, error) {
	m.mu.Lock()
	ops := append([]*opStats(nil), m.ops...)
	m.mu.Unlock()
	now := time.Now()
	opsData := metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true}
	durData := metricdata.Histogram[float64]{Temporality: metricdata.CumulativeTemporality}
	errData := metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true}
	for _, s := range ops {
		counts := make([]uint64, len(s.buckets))
		var n uint64
		for i := range s.buckets {
			counts[i] = s.buckets[i].Load()
			n += counts[i]
		}
		if n == 0 {
			continue
		}
		opsData.DataPoints = append(opsData.DataPoints, metricdata.DataPoint[int64]{
			Attributes: s.attrs, StartTime: s.start, Time: now, Value: int64(n),
		})
		durData.DataPoints = append(durData.DataPoints, metricdata.HistogramDataPoint[float64]{
			Attributes: s.attrs, StartTime: s.start, Time: now, Count: n,
			Bounds: boundsSlice, BucketCounts: counts, Sum: float64(s.sumNs.Load()) / 1e9,
		})
		for k := range numKinds {
			if v := s.errs[k].Load(); v > 0 {
				errData.DataPoints = append(errData.DataPoints, metricdata.DataPoint[int64]{
					Attributes: s.errSets[k], StartTime: s.start, Time: now, Value: int64(v),
				})
			}
		}
	}
	if len(opsData.DataPoints) == 0 {
		return nil, nil
	}
	metrics := []metricdata.Metrics{
		{Name: OperationsName, Description: "Sign and verify calls, whatever their outcome.", Unit: "{operation}", Data: opsData},
		{Name: DurationName, Description: "Time taken by sign and verify calls.", Unit: "s", Data: durData},
	}
	if len(errData.DataPoints) > 0 {
		metrics = append(metrics, metricdata.Metrics{Name: ErrorsName, Description: "Failed sign and verify calls, by error.type.", Unit: "{error}", Data: errData})
	}
	return []metricdata.ScopeMetrics{{Scope: instrumentation.Scope{Name: ScopeName}, Metrics: metrics}}, nil
}
