package statuspage_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage"
)

// bigSnapshot is a busy page: 20 components in four groups, 200 incidents
// of four updates each over two years, a few days of downtime per
// component.
func bigSnapshot() *incident.Snapshot {
	s := &incident.Snapshot{
		Page:      incident.Page{ID: "benchpage001", Name: "Bench", URL: "https://status.bench.test", TimeZone: "Europe/Berlin"},
		Indicator: incident.IndicatorMinor, Description: "Minor Service Outage",
		UpdatedAt: fixtureNow, BuiltAt: fixtureNow, Version: 1, Uptime: map[string]incident.Uptime{},
	}
	for g := range 4 {
		s.Groups = append(s.Groups, incident.Group{ID: fmt.Sprintf("group%07d", g), Name: fmt.Sprintf("Region %d", g+1), Position: g})
		for c := range 5 {
			comp := incident.Component{ID: fmt.Sprintf("comp%03d%05d", g, c), Name: fmt.Sprintf("Service %d.%d", g+1, c+1),
				GroupID: s.Groups[g].ID, Position: c, Status: incident.Operational, CreatedAt: fixtureNow.AddDate(-3, 0, 0), UpdatedAt: fixtureNow}
			s.Components = append(s.Components, comp)
			s.Uptime[comp.ID] = uptime(comp, map[int]float64{(g*5 + c) % 90: 12, (g*7 + c*3) % 90: 95})
		}
	}
	s.Components[3].Status = incident.DegradedPerformance
	for i := range 200 {
		start := fixtureNow.Add(-time.Duration(i) * 87 * time.Hour)
		inc := incident.Incident{ID: fmt.Sprintf("inc%09d", i), Kind: incident.KindIncident, Name: fmt.Sprintf("Elevated error rates on service %d", i%20),
			Status: incident.Resolved, Impact: incident.ImpactMinor, ComponentIDs: []string{s.Components[i%20].ID},
			CreatedAt: start, UpdatedAt: start.Add(time.Hour), StartedAt: start, ResolvedAt: start.Add(time.Hour)}
		for u, st := range []incident.Status{incident.Resolved, incident.Monitoring, incident.Identified, incident.Investigating} {
			at := start.Add(time.Duration(3-u) * 20 * time.Minute)
			inc.Updates = append(inc.Updates, incident.Update{ID: fmt.Sprintf("upd%05d%04d", i, u), Status: st, CreatedAt: at, DisplayAt: at,
				Body: fmt.Sprintf("Update %d on incident %d: we are looking at **elevated error rates** and will post again in 20 minutes.", u, i)})
		}
		if i == 0 {
			inc.Status, inc.ResolvedAt = incident.Investigating, time.Time{}
		}
		s.Incidents = append(s.Incidents, inc)
	}
	return s
}

// discard is a ResponseWriter that keeps nothing, reusing its header map
// as a server's connection does, so that the benchmark counts what
// ServeHTTP itself allocates.
type discard struct {
	h http.Header
	n int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { d.n += len(b); return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkServe measures a request: a lookup and a write of bytes
// rendered at Publish.
func BenchmarkServe(b *testing.B) {
	h := statuspage.New()
	h.Publish(bigSnapshot())
	for _, c := range []struct {
		name, path string
		header     []string
	}{
		{"page", "/", nil},
		{"page-gzip", "/", []string{"Accept-Encoding", "gzip, deflate, br"}},
		{"page-304", "/", []string{"If-None-Match", etagOf(h, "/")}},
		{"summary", "/api/v2/summary.json", nil},
		{"summary-gzip", "/api/v2/summary.json", []string{"Accept-Encoding", "gzip"}},
		{"incident", "/incidents/inc000000042", nil},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", c.path, nil)
			for i := 0; i+1 < len(c.header); i += 2 {
				r.Header.Set(c.header[i], c.header[i+1])
			}
			w := &discard{h: http.Header{}}
			h.ServeHTTP(w, r)
			b.SetBytes(int64(w.n))
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, r)
			}
		})
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func etagOf(h http.Handler, path string) string {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
	return w.Header().Get("Etag")
}

// BenchmarkPublish measures rendering every page, document and feed of a
// busy page: the first time ("cold"), and on a write that changes one
// incident ("update": unchanged documents keep their entries). A
// document is compressed by the first request that needs it, so
// "update-read" adds a gzip request of / and summary.json after each
// write (what bench/statuspage.sh reads), and "update-read-all" one of
// every document the write changed: each write's whole cost, whatever
// readers ask for.
func BenchmarkPublish(b *testing.B) {
	b.Run("cold", func(b *testing.B) {
		snap := bigSnapshot()
		b.ReportAllocs()
		for b.Loop() {
			statuspage.New().Publish(snap)
		}
	})
	hot := []string{"/", "/api/v2/summary.json"}
	changed := append(hot, "/incidents/inc000000000", "/history", "/history.atom", "/history.rss",
		"/api/v2/status.json", "/api/v2/components.json", "/api/v2/incidents.json", "/api/v2/incidents/unresolved.json",
		"/api/v2/incidents/inc000000000.json", "/api/v2/scheduled-maintenances.json",
		"/api/v2/scheduled-maintenances/upcoming.json", "/api/v2/scheduled-maintenances/active.json")
	for _, c := range []struct {
		name  string
		reads []string
		// grow posts a new update on each write, as bench/statuswriter
		// does: the incident has one more update each time.
		grow bool
	}{{"update", nil, false}, {"update-read", hot, false}, {"update-read-all", changed, false}, {"update-grow", nil, true}} {
		b.Run(c.name, func(b *testing.B) {
			snap := bigSnapshot()
			h := statuspage.New()
			h.Publish(snap)
			var reqs []*http.Request
			for _, path := range c.reads {
				r := httptest.NewRequest("GET", path, nil)
				r.Header.Set("Accept-Encoding", "gzip")
				reqs = append(reqs, r)
			}
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			cpu0 := cpuTime(b)
			for i := 0; b.Loop(); i++ {
				snap.Version++
				if c.grow {
					u := snap.Incidents[0].Updates[0]
					u.ID, u.Body = fmt.Sprintf("grow%06d", i), fmt.Sprintf("Update number %d.", i)
					u.CreatedAt, u.DisplayAt = u.CreatedAt.Add(time.Minute), u.DisplayAt.Add(time.Minute)
					snap.Incidents[0].Updates = append([]incident.Update{u}, snap.Incidents[0].Updates...)
				} else {
					snap.Incidents[0].Updates[0].Body = fmt.Sprintf("Update number %d.", i)
				}
				h.Publish(snap)
				for _, r := range reqs {
					clear(w.h)
					h.ServeHTTP(w, r)
				}
			}
			// CPU time, not wall time: the machine is shared, and a
			// write's cost to the server is its CPU.
			b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}
