package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage"
	"github.com/headroomhq/headroom/store/sqlite"
)

// BenchmarkServiceUpdate posts an update to an open incident on the
// status-page benchmark's page (20 components, 200 resolved incidents) in
// a SQLite file: the store's part of an admin's write on a live page
// (bench/statuspage.sh MODE=writes measures it with the rendering). The
// open incident grows by one update an iteration, as the live writer's:
// run it with a fixed count (-benchtime 200x) to compare two builds.
// "published" adds what serve does with each snapshot: the status page
// renders it (statuspage.Handler.Publish) — the whole write but the HTTP.
func BenchmarkServiceUpdate(b *testing.B) {
	b.Run("store", func(b *testing.B) { benchmarkServiceUpdate(b, nil) })
	b.Run("published", func(b *testing.B) { benchmarkServiceUpdate(b, statuspage.New()) })
}

func benchmarkServiceUpdate(b *testing.B, page *statuspage.Handler) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "headroom.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	cfg := incident.Config{Store: db, Page: incident.Page{ID: "bench", Name: "Benchmark", TimeZone: "Etc/UTC"}}
	for g := 1; g <= 4; g++ {
		cfg.Groups = append(cfg.Groups, incident.Group{ID: fmt.Sprintf("group-%d", g), Name: fmt.Sprintf("Group %d", g), Position: g})
		for c := 1; c <= 5; c++ {
			cfg.Components = append(cfg.Components, incident.Component{ID: fmt.Sprintf("component-%d-%d", g, c),
				Name: fmt.Sprintf("Component %d-%d", g, c), GroupID: fmt.Sprintf("group-%d", g), Position: c})
		}
	}
	s, err := incident.NewService(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	if page != nil {
		s.OnSnapshot = page.Publish
		page.Publish(s.Snapshot())
	}
	now := time.Now().UTC()
	for i := 1; i <= 200; i++ {
		day := now.AddDate(0, 0, -((i-1)%85 + 1)).Truncate(24 * time.Hour).Add(10 * time.Hour)
		comp := fmt.Sprintf("component-%d-%d", (i-1)%4+1, (i-1)%5+1)
		inc, err := s.Open(ctx, incident.OpenIncident{Name: fmt.Sprintf("Elevated error rates %d", i), Impact: incident.ImpactMajor,
			Body: "We are investigating **elevated error rates** on " + comp + ".", Components: map[string]incident.ComponentStatus{comp: incident.PartialOutage},
			StartedAt: day, DisplayAt: day})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Update(ctx, inc.ID, incident.PostUpdate{Status: incident.Resolved, Body: "This incident has been resolved.", DisplayAt: day.Add(45 * time.Minute)}); err != nil {
			b.Fatal(err)
		}
	}
	open, err := s.Open(ctx, incident.OpenIncident{Name: "Writes under load", Body: "We are investigating.",
		Components: map[string]incident.ComponentStatus{"component-1-1": incident.DegradedPerformance}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	// The writes carry a profiler label: -cpuprofile, then pprof
	// -tagfocus phase=write leaves the setup's 400 writes out.
	pprof.Do(ctx, pprof.Labels("phase", "write"), func(ctx context.Context) {
		for i := 0; i < b.N; i++ {
			if _, err := s.Update(ctx, open.ID, incident.PostUpdate{Status: incident.Investigating, Body: fmt.Sprintf("Still investigating (%d).", i)}); err != nil {
				b.Fatal(err)
			}
		}
	})
	// CPU time, not wall time: the machine is shared, and a write's
	// cost to the server is its CPU (the GC's included).
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
