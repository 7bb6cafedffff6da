package traffic_test

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/traffic"
)

// diurnalRate is a day-shaped request rate: a trough at 06:00 UTC, a peak at
// 18:00 about 4 times higher (the swing of the NASA and World Cup traces),
// and a quieter weekend.
func diurnalRate(t time.Time) float64 {
	hour := float64(t.Hour()) + float64(t.Minute())/60 + float64(t.Second())/3600
	r := 150 + 90*math.Sin(2*math.Pi*(hour-12)/24)
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		r *= 0.7
	}
	return r
}

// writeDiurnalCSV writes one row per second for days days, with Poisson-like
// noise around diurnalRate, and returns the number of rows.
func writeDiurnalCSV(tb testing.TB, path string, days int) int {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("timestamp,requests\n")
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)
	rows := days * 86400
	var buf []byte
	for i := range rows {
		t := start.Add(time.Duration(i) * time.Second)
		r := diurnalRate(t)
		n := max(0, math.Round(r+math.Sqrt(r)*rng.NormFloat64()))
		buf = t.AppendFormat(buf[:0], time.RFC3339)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(n), 10)
		buf = append(buf, '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return rows
}

// BenchmarkReadCSV30Days reads 30 days of per-second rows (2,592,000 rows,
// about 64 MB). The requirement is at least 100 MB/s with a peak heap well
// under 200 MB; peak-heap-MB is measured on one more read after the timed
// loop, sampling runtime.MemStats.
func BenchmarkReadCSV30Days(b *testing.B) {
	path := filepath.Join(b.TempDir(), "30days.csv")
	rows := writeDiurnalCSV(b, path, 30)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		s, _, err := traffic.ReadFile(path, traffic.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(s.Counts) != rows {
			b.Fatalf("got %d rows, want %d", len(s.Counts), rows)
		}
		n++
	}
	b.ReportMetric(float64(rows*n)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(peakHeapMB(b, func() {
		if _, _, err := traffic.ReadFile(path, traffic.Options{}); err != nil {
			b.Fatal(err)
		}
	}), "peak-heap-MB")
}

// peakHeapMB runs f while sampling the heap every 200µs and returns the
// highest HeapAlloc seen, in MB (10^6 bytes). Sampling stops the world, so
// it is kept out of timed loops.
func peakHeapMB(b *testing.B, f func()) float64 {
	runtime.GC()
	var peak atomic.Uint64
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		var ms runtime.MemStats
		tick := time.NewTicker(200 * time.Microsecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(done)
	<-stopped
	return float64(peak.Load()) / 1e6
}

// BenchmarkReadAccessLog reads a million Combined Log Format lines (about
// 170 MB) spread over a day, a few of them out of order.
func BenchmarkReadAccessLog(b *testing.B) {
	path := filepath.Join(b.TempDir(), "access.log")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	start := time.Date(2021, 6, 1, 0, 0, 0, 0, time.FixedZone("", -7*3600))
	const lines = 1_000_000
	for i := range lines {
		t := start.Add(time.Duration(i) * 86400 * time.Second / lines)
		if i%1000 == 999 {
			t = t.Add(-3 * time.Second) // a slow request logged late
		}
		fmt.Fprintf(w, "10.0.%d.%d - - [%s] \"GET /api/v1/items/%d HTTP/1.1\" 200 %d \"https://example.com/\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n",
			i%256, i%199, t.Format("02/Jan/2006:15:04:05 -0700"), i, 500+i%3000)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	n := 0
	var s *headroom.Series
	for b.Loop() {
		s, _, err = traffic.ReadFile(path, traffic.Options{Format: traffic.FormatAccessLog})
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
	if got := s.Total(); got != lines {
		b.Fatalf("got %v requests, want %d", got, lines)
	}
	b.ReportMetric(float64(lines*n)/b.Elapsed().Seconds(), "lines/s")
}
