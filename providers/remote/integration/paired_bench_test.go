package remote_test

import (
	"context"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/internal/latency"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/remote"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

// pair is a remote HMAC key (hmac:seed=42) behind a service on loopback
// mTLS, and the raw baseline it is measured against: a bare gRPC echo
// server with the service's TLS settings and certificate, reached over a
// connection the remote backend's own dialling code makes with the same
// client certificate. The echo's request and answer are as long on the wire
// as a Sign of 64 bytes and its answer.
type pair struct {
	key  provider.Key
	echo *grpc.ClientConn
	msg  []byte // the message signed
	in   []byte // the echo's request payload
}

func newPair(b *testing.B) *pair {
	b.Helper()
	ctx := context.Background()
	f := start(b, map[string]string{"orders": "hmac:seed=42"})
	k, err := provider.Open(ctx, f.uri("orders", f.trader))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { k.Close() })
	p := &pair{key: k, msg: make([]byte, 64)}
	sig, err := k.Sign(ctx, p.msg)
	if err != nil {
		b.Fatal(err)
	}
	req := &signerpb.SignRequest{Key: "orders", Message: p.msg}
	resp := &signerpb.SignResponse{Signature: sig, KeyId: k.Info().ID}
	p.in = make([]byte, servicetest.EchoPayload(req))
	addr := servicetest.StartEcho(b, f.tls, servicetest.EchoPayload(resp))
	p.echo = dialLikeOpen(b, "remote:addr="+addr+";key=echo?"+f.ca.Query(f.trader))
	// Both connections are up and warm before the measured loop.
	for range 100 {
		if err := p.callEcho(ctx); err != nil {
			b.Fatal(err)
		}
		if err := p.sign(ctx); err != nil {
			b.Fatal(err)
		}
	}
	return p
}

func (p *pair) sign(ctx context.Context) error {
	_, err := p.key.Sign(ctx, p.msg)
	return err
}

func (p *pair) callEcho(ctx context.Context) error {
	_, err := servicetest.Echo(ctx, p.echo, p.in)
	return err
}

// BenchmarkRemotePaired measures a remote Sign of 64 bytes call by call
// against the raw gRPC echo of the same sizes over the same mutual TLS set-up,
// one caller, alternating the two (and which goes first) in one loop, and
// reports each one's p50, p99 and p99.9 and their ratios.
func BenchmarkRemotePaired(b *testing.B) {
	p := newPair(b)
	ctx := context.Background()
	latency.Interleave(b, "sign", func() error { return p.sign(ctx) }, "echo", func() error { return p.callEcho(ctx) })
}

// concurrentCallers is how many goroutines BenchmarkRemoteConcurrent runs
// calls from at once.
const concurrentCallers = 32

// BenchmarkRemoteConcurrent compares the throughput of remote Sign with the
// raw gRPC echo's (see BenchmarkRemotePaired) when 32 goroutines call at
// once, all of them on one handle (one connection) or on one echo
// connection. Each path makes b.N calls in 200 rounds, the two paths
// alternating round by round (and which goes first), and the benchmark
// reports each path's calls a second, their ratio (throughput-ratio, Sign
// over echo), the process's CPU time per call of each, and each path's
// latency percentiles under that load.
//
// With echo=raw the echo's context has no deadline, as the benchmark's Sign
// calls have none; with echo=deadline each echo carries a deadline of the
// URI's default timeout (10s), as a call whose caller set a deadline does: a
// timer on each side and a grpc-timeout header. A Sign without a deadline
// pays a timer on each side (the URI's timeout on the client, the service's
// max-deadline in the service) but no header.
func BenchmarkRemoteConcurrent(b *testing.B) {
	for _, deadline := range []bool{false, true} {
		name := "echo=raw"
		if deadline {
			name = "echo=deadline"
		}
		b.Run(name, func(b *testing.B) {
			p := newPair(b)
			echo := p.callEcho
			if deadline {
				echo = func(ctx context.Context) error {
					ctx, cancel := context.WithTimeout(ctx, remote.DefaultTimeout)
					defer cancel()
					return p.callEcho(ctx)
				}
			}
			concurrent(b, p.sign, echo)
		})
	}
}

func concurrent(b *testing.B, sign, echo func(context.Context) error) {
	const rounds = 200
	per := max(b.N/rounds, concurrentCallers)
	signLat, echoLat := latency.New(per*rounds), latency.New(per*rounds)
	var signTime, echoTime, signCPU, echoCPU time.Duration
	b.ResetTimer()
	for r := range rounds {
		if r%2 == 0 {
			burst(b, per, echo, echoLat, &echoTime, &echoCPU)
			burst(b, per, sign, signLat, &signTime, &signCPU)
		} else {
			burst(b, per, sign, signLat, &signTime, &signCPU)
			burst(b, per, echo, echoLat, &echoTime, &echoCPU)
		}
	}
	b.StopTimer()
	signRate := float64(per*rounds) / signTime.Seconds()
	echoRate := float64(per*rounds) / echoTime.Seconds()
	b.ReportMetric(signRate, "sign-calls/s")
	b.ReportMetric(echoRate, "echo-calls/s")
	b.ReportMetric(signRate/echoRate, "throughput-ratio")
	// The CPU time of the process (both ends of the calls) per call: on a
	// machine busy with other work, what each path costs.
	b.ReportMetric(float64(signCPU.Nanoseconds())/float64(per*rounds), "sign-cpu-ns/call")
	b.ReportMetric(float64(echoCPU.Nanoseconds())/float64(per*rounds), "echo-cpu-ns/call")
	latency.ReportCompare(b, "sign", signLat, "echo", echoLat)
}

// burst makes n calls from concurrentCallers goroutines at once, records
// each call's latency in lat, and adds to elapsed the time from the first
// call's start to the last one's end, and to cpu the process's CPU time
// meanwhile.
func burst(b *testing.B, n int, call func(context.Context) error, lat *latency.Sample, elapsed, cpu *time.Duration) {
	ctx := context.Background()
	durs := make([]int64, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	cpu0 := cpuTime(b)
	start := time.Now()
	for range concurrentCallers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				t0 := time.Now()
				if err := call(ctx); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
				durs[i] = time.Since(t0).Nanoseconds()
			}
		})
	}
	wg.Wait()
	*elapsed += time.Since(start)
	*cpu += cpuTime(b) - cpu0
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	for _, d := range durs {
		lat.RecordValue(d)
	}
}

// cpuTime returns the user and system CPU time this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
