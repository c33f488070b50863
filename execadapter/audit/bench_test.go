package audit

import (
	"context"
	"path/filepath"
	"testing"
)

// benchLog writes a log of n order-sized records (150-byte payloads) and
// returns its path.
func benchLog(b *testing.B, n int) string {
	b.Helper()
	k, _ := key(b, 42)
	path := filepath.Join(b.TempDir(), "bench.log")
	w, _, err := Open(path, Options{Signer: k, Durability: Batch})
	if err != nil {
		b.Fatal(err)
	}
	p := make([]byte, 150)
	for i := range n {
		if err := w.Append(TypeOrder, int64(i), p); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkVerify verifies a log of 200,000 order-sized records; the
// records-per-second metric scales to larger logs (a 1,000,000-order
// log holds about 1,950,000 records).
func BenchmarkVerify(b *testing.B) {
	const n = 200_000
	path := benchLog(b, n)
	_, keys := key(b, 42)
	for b.Loop() {
		if _, err := VerifyFile(context.Background(), path, keys); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkProve proves one record of a log of 200,000 records, reading
// the index and hashes files, and reports the proof's size.
func BenchmarkProve(b *testing.B) {
	path := benchLog(b, 200_000)
	size := 0
	i := uint64(0)
	for b.Loop() {
		i = i*7919%199_000 + 1
		p, err := Prove(path, i)
		if err != nil {
			b.Fatal(err)
		}
		size = len(p.Marshal())
	}
	b.ReportMetric(float64(size), "proof-bytes")
}

// BenchmarkExport exports a log of 1,950,000 order-sized records (a
// 1,000,000-order log: orders and acks) to a new directory ("fresh"), and
// again to a directory that holds its export ("again": every file read and
// checked, none written).
func BenchmarkExport(b *testing.B) {
	const n = 1_950_000
	path := benchLog(b, n)
	dir := b.TempDir()
	d, err := OpenDirTarget(dir)
	if err != nil {
		b.Fatal(err)
	}
	_, err = Export(context.Background(), path, d, ExportOptions{})
	d.Close()
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		dir  func() string
	}{
		{"fresh", func() string { return filepath.Join(b.TempDir(), "export") }},
		{"again", func() string { return dir }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				d, err := OpenDirTarget(bc.dir())
				if err != nil {
					b.Fatal(err)
				}
				rep, err := Export(context.Background(), path, d, ExportOptions{})
				d.Close()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(rep.Written), "files-written")
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
