package controller_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/store/memory"
)

// pageNow is the page's clock in these tests: an hour after the seed's bad
// scheduled action, which the scale-in guard deferred.
var pageNow = time.Date(2021, 6, 30, 18, 0, 0, 0, time.UTC)

// Incidents of the fixture's "web" target.
var (
	// The platform's API does not answer: no capacity, no decision.
	capacityOutage = [2]time.Time{time.Date(2021, 6, 30, 15, 0, 0, 0, time.UTC), time.Date(2021, 6, 30, 15, 2, 0, 0, time.UTC)}
	// Prometheus is down: decisions without metrics.
	metricsOutage = [2]time.Time{time.Date(2021, 6, 30, 17, 30, 0, 0, time.UTC), time.Date(2021, 6, 30, 17, 33, 0, 0, time.UTC)}
	// The demand query returns nothing (a broken recording rule) while
	// cpu is still there: the policy may want to scale in, blind.
	demandMissing = [2]time.Time{time.Date(2021, 6, 30, 17, 45, 0, 0, time.UTC), time.Date(2021, 6, 30, 17, 50, 0, 0, time.UTC)}
	// Traffic fails over to another region: demand falls to 1,500 req/s.
	failover = [2]time.Time{time.Date(2021, 6, 30, 17, 20, 0, 0, time.UTC), time.Date(2021, 6, 30, 17, 30, 0, 0, time.UTC)}
)

func within(t time.Time, span [2]time.Time) bool { return !t.Before(span[0]) && t.Before(span[1]) }

// pageFleet is an in-memory platform: new instances launch for three
// minutes before they are ready. The clock is the loop's, set before each
// step.
type pageFleet struct {
	mu        sync.Mutex
	now       time.Time
	ready     int
	launching []time.Time // when each launching instance becomes ready
}

func (f *pageFleet) Capacity(context.Context) (headroom.Capacity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if within(f.now, capacityOutage) {
		return headroom.Capacity{}, &headroom.Error{Code: headroom.EUNAVAILABLE, Message: "platform API timed out"}
	}
	var still []time.Time
	for _, at := range f.launching {
		if at.After(f.now) {
			still = append(still, at)
		} else {
			f.ready++
		}
	}
	f.launching = still
	return headroom.Capacity{Ready: f.ready, Launching: len(f.launching)}, nil
}

func (f *pageFleet) Scale(_ context.Context, desired int, _ headroom.Reason) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for desired > f.ready+len(f.launching) {
		f.launching = append(f.launching, f.now.Add(3*time.Minute))
	}
	for desired < f.ready+len(f.launching) {
		if n := len(f.launching); n > 0 {
			f.launching = f.launching[:n-1]
		} else {
			f.ready--
		}
	}
	return nil
}

// dailyDemand is the site's traffic: rising through the European
// afternoon to 3,400 req/s at 17:00 UTC, then failing over elsewhere, with
// the cpu the fleet's ready instances show for it (100 req/s each at
// 100%).
type dailyDemand struct{ fleet *pageFleet }

func (s dailyDemand) Observe(_ context.Context, now time.Time) (headroom.Observation, error) {
	if within(now, metricsOutage) {
		return headroom.Observation{}, &headroom.Error{Code: headroom.EUNAVAILABLE, Message: "prometheus: connection refused"}
	}
	hours := now.Sub(time.Date(2021, 6, 30, 12, 0, 0, 0, time.UTC)).Hours()
	demand := 2000 + 1400*math.Sin(math.Pi/2*min(hours, 5)/5) + 80*math.Sin(hours*9)
	if !now.Before(failover[0]) {
		gone := min(1, float64(now.Sub(failover[0]))/float64(failover[1].Sub(failover[0])))
		demand -= gone * (demand - 1500)
	}
	s.fleet.mu.Lock()
	ready := max(s.fleet.ready, 1)
	s.fleet.mu.Unlock()
	obs := headroom.Observation{Time: now.Add(-15 * time.Second), Demand: demand, HasDemand: true,
		Utilization: demand / float64(ready*100) * 100, HasUtilization: true, HasHealth: true}
	if within(now, demandMissing) {
		obs.Demand, obs.HasDemand = 0, false
	}
	return obs, nil
}

// pageJournal is six hours of the live loop on the seed, through the
// engine, plus targets whose records are written directly:
//
//   - web: the seed's proposed policy live with the default guards, the
//     baseline as a proposed policy in shadow, 15 s loop from 12:00 to
//     18:00 UTC; the platform's API fails 15:00–15:02 and Prometheus
//     17:30–17:36.
//   - evil: a shadow target whose policy and platform write hostile text.
//   - blind: its latest decision is MetricsBlind.
//   - quiet: its last decision was three hours ago.
//   - idle: no decisions at all.
func pageJournal(t *testing.T) (*memory.Journal, []controller.PageTarget) {
	t.Helper()
	svc, prop, base := load(t)
	fleet := &pageFleet{ready: 40}
	web := &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: prop, Proposed: base,
		Guards: headroom.DefaultGuards(svc, prop, headroom.DefaultGuardMargin), Source: dailyDemand{fleet}, Actuator: fleet}
	j := &memory.Journal{}
	c := controller.New(j, web)
	c.Logger = slog.New(slog.DiscardHandler)
	for at := pageNow.Add(-6 * time.Hour); at.Before(pageNow); at = at.Add(15 * time.Second) {
		fleet.mu.Lock()
		fleet.now = at
		fleet.mu.Unlock()
		c.Step(context.Background(), at)
	}

	ctx := context.Background()
	add := func(r controller.Record) {
		t.Helper()
		if err := j.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	obs := headroom.Observation{Demand: 120, HasDemand: true, Utilization: 40, HasUtilization: true}
	add(controller.Record{Target: "evil", Time: pageNow.Add(-time.Minute), Mode: "shadow", Observation: obs,
		Current: headroom.Capacity{Ready: 4}, Decision: headroom.Decision{Current: 4, Desired: 3,
			Reason: headroom.Reason{Code: headroom.ReasonScaleDown, Message: `cpu <script>alert("pwned")</script> under target`}},
		Error: `scale to 3: <img src=x onerror=alert(1)>`})
	add(controller.Record{Target: "blind", Time: pageNow.Add(-30 * time.Second), Mode: "enforce",
		Current: headroom.Capacity{Ready: 9}, Decision: headroom.Decision{Current: 9, Desired: 9,
			Reason: headroom.Reason{Code: headroom.ReasonBlind, Message: "no demand sample: scale-in frozen at 9 (cpu 20 under target 60)"}}})
	add(controller.Record{Target: "quiet", Time: pageNow.Add(-3 * time.Hour), Mode: "enforce", Observation: obs,
		Current: headroom.Capacity{Ready: 2}, Decision: headroom.Decision{Current: 2, Desired: 2,
			Reason: headroom.Reason{Code: headroom.ReasonWithinTolerance, Message: "cpu 40 within tolerance of 40"}}})
	targets := append(controller.PageTargets([]*controller.Target{web}),
		controller.PageTarget{Name: "evil", Mode: headroom.ModeShadow},
		controller.PageTarget{Name: "blind", Mode: headroom.ModeEnforce},
		controller.PageTarget{Name: "quiet", Mode: headroom.ModeEnforce},
		controller.PageTarget{Name: "idle", Mode: headroom.ModeEnforce})
	return j, targets
}

func newTestPage(t *testing.T) (*controller.Page, *memory.Journal) {
	t.Helper()
	j, targets := pageJournal(t)
	p := controller.NewPage(j, targets, func() time.Time { return pageNow })
	p.Logger = slog.New(slog.DiscardHandler)
	return p, j
}

// get asks h for path and returns the answer.
func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w
}

// rowTimes returns the times of a decisions table, top to bottom.
func rowTimes(t *testing.T, body string) []time.Time {
	t.Helper()
	_, table, ok := strings.Cut(body, `<table class="decisions">`)
	if !ok {
		return nil
	}
	var out []time.Time
	for _, m := range regexp.MustCompile(`<td class="time">([^<]+)</td>`).FindAllStringSubmatch(table, -1) {
		at, err := time.Parse("2006-01-02 15:04:05", m[1])
		if err != nil {
			t.Fatalf("row time %q: %v", m[1], err)
		}
		out = append(out, at)
	}
	return out
}

// The target's page says what a person looks for after the seed's bad
// scheduled action: the deferral by the guard with its reason, the
// errors, the proposed policy's desired count, and a chart of it all.
func TestPageTarget(t *testing.T) {
	p, j := newTestPage(t)
	w := get(t, p, "/decisions/web")
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, type %q; want an HTML page\n%s", w.Code, w.Header().Get("Content-Type"), body)
	}
	recs, err := j.Records(context.Background(), "web", pageNow.Add(-6*time.Hour), time.Time{}, 0)
	if err != nil || len(recs) != 1440 {
		t.Fatalf("fixture: %d records, %v; want six hours of 15 s decisions", len(recs), err)
	}
	var deferred, blind *controller.Record
	for i, r := range recs {
		switch r.Decision.Reason.Code {
		case headroom.ReasonScaleInDeferred:
			if deferred == nil {
				deferred = &recs[i]
			}
		case headroom.ReasonBlind:
			blind = &recs[i]
		}
	}
	if deferred == nil || !strings.Contains(deferred.Decision.Reason.Message, `scheduled action "night-savings"`) {
		t.Fatalf("fixture: no deferral of the night-savings action by the scale-in guard: %+v", deferred)
	}

	for _, want := range []struct{ name, text string }{
		{"the deferral's code", "<code>ScaleInDeferred</code>"},
		{"the deferral's sentence", html.EscapeString(deferred.Decision.Reason.Message)},
		{"what the guard kept", "req/s needs"},
		{"the metrics error", "read metrics: prometheus: connection refused"},
		{"the capacity error", "read capacity: platform API timed out"},
		{"the proposed policy's column", "<th class=\"num\">Proposed<br/>desired</th>"},
		{"the window", "1440 decisions from 2021-06-30 12:00:00 to 2021-06-30 17:59:45 UTC."},
		{"the table's bound", "Showing the newest 500 of 1440"},
		{"the table's unit", "Current<br/>(ready+launching)"},
		{"the latest decision", "<strong>Latest decision</strong> 15 s ago (2021-06-30 17:59:45 UTC)"},
		{"the capacity chart", `<svg class="chart capacity"`},
		{"the demand chart", `<svg class="chart demand"`},
		{"a guard band", `<rect class="band"`},
		{"the band's reason", "ScaleInDeferred from 2021-06-30 17:00:00 to"},
		{"the chart's legend", "proposed policy&#39;s desired"},
		{"an error mark", `<path class="mark"`},
		{"the JSON link", `href="./web.json"`},
		{"the viewport for phones", `<meta name="viewport" content="width=device-width, initial-scale=1"/>`},
		{"the table's horizontal scroll", `<div class="scroll"><table class="decisions">`},
	} {
		if !strings.Contains(body, want.text) {
			t.Errorf("%s: the page does not contain %q", want.name, want.text)
		}
	}
	if blind != nil && !strings.Contains(body, "<code>MetricsBlind</code>") {
		t.Errorf("the blind decision at %s is not in the table", blind.Time)
	}
	for _, class := range []string{"current", "desired", "proposed", "demand"} {
		m := regexp.MustCompile(`<path class="line ` + class + `" d="(M[^"]+)"`).FindStringSubmatch(body)
		if m == nil || strings.Count(m[1], " ") < 10 {
			t.Errorf("the %s line is missing or flat: %q", class, m)
		}
	}
	times := rowTimes(t, body)
	if len(times) != 500 || !times[0].Equal(recs[len(recs)-1].Time) {
		t.Fatalf("table: %d rows starting at %v; want the newest 500 from %s", len(times), times[:min(1, len(times))], recs[len(recs)-1].Time)
	}
	for i := 1; i < len(times); i++ {
		if !times[i].Before(times[i-1]) {
			t.Fatalf("table row %d at %s follows %s: want newest first", i, times[i], times[i-1])
		}
	}
}

// Reason messages come from policy files and errors from platforms: the
// page shows them as text.
func TestPageEscapesHostileText(t *testing.T) {
	p, _ := newTestPage(t)
	for _, path := range []string{"/decisions/evil", "/", "/decisions/%3Cscript%3Ealert(1)%3C%2Fscript%3E"} {
		t.Run(path, func(t *testing.T) {
			body := get(t, p, path).Body.String()
			for _, raw := range []string{"<script", "<img"} {
				if strings.Contains(body, raw) {
					t.Errorf("%q is markup on the page:\n%s", raw, body)
				}
			}
		})
	}
	body := get(t, p, "/decisions/evil").Body.String()
	for _, want := range []string{`cpu &lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt; under target`, `scale to 3: &lt;img src=x onerror=alert(1)&gt;`} {
		if !strings.Contains(body, want) {
			t.Errorf("the hostile text is not shown as text: want %q", want)
		}
	}
}

// The list of targets shows each target's latest decision and marks the
// ones a person must look at.
func TestPageIndex(t *testing.T) {
	p, _ := newTestPage(t)
	for _, tc := range []struct{ path, href string }{{"/", "./decisions/web"}, {"/decisions/", "./web"}} {
		t.Run(tc.path, func(t *testing.T) {
			w := get(t, p, tc.path)
			body := w.Body.String()
			if w.Code != http.StatusOK {
				t.Fatalf("status %d\n%s", w.Code, body)
			}
			rows := map[string]string{}
			for _, row := range strings.Split(body, "<tr") {
				if m := regexp.MustCompile(`<a href="[^"]*">([^<]+)</a>`).FindStringSubmatch(row); m != nil && strings.Contains(row, "<td") {
					rows[m[1]] = row
				}
			}
			for _, want := range []struct{ target, text string }{
				{"web", `href="` + tc.href + `"`},
				{"web", "+ proposed in shadow"},
				{"web", "15 s ago"},
				{"web", "<code>ScaleInDeferred</code> <span class=\"badge guard\">guard</span>"},
				{"web", "27 min ago (2021-06-30 17:32:45):</span> read metrics: prometheus: connection refused"},
				{"evil", "⚠ ALERT"},
				{"evil", "scale to 3: &lt;img src=x onerror=alert(1)&gt;"},
				{"evil", "no (shadow)"},
				{"evil", "4 → 3"},
				{"blind", "⚠ ALERT"},
				{"blind", "<code>MetricsBlind</code>"},
				{"blind", `title="metrics blind"`},
				{"quiet", "3 h 0 min ago"},
				{"idle", "no decision in the last 24h"},
			} {
				if !strings.Contains(rows[want.target], want.text) {
					t.Errorf("row of %s: want %q in\n%s", want.target, want.text, rows[want.target])
				}
			}
			for _, calm := range []string{"web", "quiet", "idle"} {
				if strings.Contains(rows[calm], "ALERT") {
					t.Errorf("row of %s is marked as an alert:\n%s", calm, rows[calm])
				}
			}
			if !strings.Contains(body, "2 of 5 targets need attention") {
				t.Errorf("no summary of the alerts")
			}
		})
	}
}

func TestPageUnknownTarget(t *testing.T) {
	p, _ := newTestPage(t)
	for _, path := range []string{"/decisions/nope", "/decisions/nope.json"} {
		w := get(t, p, path)
		body := html.UnescapeString(w.Body.String())
		if strings.HasSuffix(path, ".json") {
			var e struct{ Error string }
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
				t.Errorf("%s: %v", path, err)
			}
			body = e.Error
		}
		if w.Code != http.StatusNotFound || !strings.Contains(body, `no target "nope": this serve runs targets "web", "evil", "blind", "quiet", "idle"`) {
			t.Errorf("%s: status %d, body\n%s\nwant 404 naming the target and the ones there are", path, w.Code, body)
		}
	}
	if w := get(t, p, "/elsewhere"); w.Code != http.StatusNotFound {
		t.Errorf("/elsewhere: status %d, want 404", w.Code)
	}
}

// since and limit are bounded; a bad value is a 400 that names the
// parameter, the value and what was expected.
func TestPageQuery(t *testing.T) {
	p, _ := newTestPage(t)
	for _, tc := range []struct {
		name  string
		query string
		want  string // in the answer
	}{
		{"since not a duration", "since=yesterday", `query parameter since: got "yesterday", expected a duration such as 30m, 6h or 2d, at most 7d`},
		{"since zero", "since=0", `query parameter since: got "0"`},
		{"since negative", "since=-1h", `query parameter since: got "-1h"`},
		{"since beyond the bound", "since=8d", `query parameter since: got "8d"`},
		{"since empty", "since=", `query parameter since: got ""`},
		{"limit not a number", "limit=ten", `query parameter limit: got "ten", expected a whole number of decisions from 1 to 10000`},
		{"limit zero", "limit=0", `query parameter limit: got "0"`},
		{"limit beyond the bound", "limit=10001", `query parameter limit: got "10001"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := get(t, p, "/decisions/web?"+tc.query)
			if body := html.UnescapeString(w.Body.String()); w.Code != http.StatusBadRequest || !strings.Contains(body, tc.want) {
				t.Errorf("status %d, body\n%s\nwant 400 and %q", w.Code, body, tc.want)
			}
			w = get(t, p, "/decisions/web.json?"+tc.query)
			var e struct{ Error string }
			if err := json.Unmarshal(w.Body.Bytes(), &e); w.Code != http.StatusBadRequest || err != nil || !strings.Contains(e.Error, tc.want) {
				t.Errorf("json: status %d, body %s; want 400 and %q", w.Code, w.Body, tc.want)
			}
		})
	}

	for _, tc := range []struct {
		name, query string
		rows        int
		first, last time.Time
	}{
		{"the last hour", "since=1h", 240, pageNow.Add(-15 * time.Second), pageNow.Add(-time.Hour)},
		{"the newest three", "limit=3", 3, pageNow.Add(-15 * time.Second), pageNow.Add(-45 * time.Second)},
		{"days", "since=2d&limit=2", 2, pageNow.Add(-15 * time.Second), pageNow.Add(-30 * time.Second)},
		{"minutes", "since=90s", 6, pageNow.Add(-15 * time.Second), pageNow.Add(-90 * time.Second)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := get(t, p, "/decisions/web?"+tc.query)
			times := rowTimes(t, w.Body.String())
			if w.Code != http.StatusOK || len(times) != tc.rows || !times[0].Equal(tc.first) || !times[len(times)-1].Equal(tc.last) {
				t.Errorf("status %d, %d rows from %v; want %d rows from %s to %s", w.Code, len(times), times, tc.rows, tc.first, tc.last)
			}
		})
	}

	// A window without decisions still says when the target last decided.
	body := get(t, p, "/decisions/quiet?since=1h").Body.String()
	for _, want := range []string{"No decisions in the last 1h.", "<strong>Latest decision</strong> 3 h 0 min ago", "no decisions in this window"} {
		if !strings.Contains(body, want) {
			t.Errorf("empty window: want %q", want)
		}
	}
	if body := get(t, p, "/decisions/web?since=1h").Body.String(); !strings.Contains(body, `<a href="./web?since=1h" aria-current="page">1h</a>`) {
		t.Errorf("the chosen window is not marked")
	}
}

// The JSON is what `headroom decisions --format json` prints: the
// journal's records, oldest first.
func TestPageJSON(t *testing.T) {
	p, j := newTestPage(t)
	w := get(t, p, "/decisions/web.json?since=1h&limit=4")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("status %d, type %q", w.Code, w.Header().Get("Content-Type"))
	}
	var got []controller.Record
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	all, _ := j.Records(context.Background(), "web", time.Time{}, time.Time{}, 0)
	want := all[len(all)-4:]
	if len(got) != 4 {
		t.Fatalf("got %d records, want 4", len(got))
	}
	for i := range want {
		if !got[i].Time.Equal(want[i].Time) || got[i].Decision.Reason != want[i].Decision.Reason || got[i].Current != want[i].Current ||
			(got[i].Proposed == nil) != (want[i].Proposed == nil) || got[i].Observation.Demand != want[i].Observation.Demand {
			t.Errorf("record %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	var empty []controller.Record
	if w := get(t, p, "/decisions/idle.json"); w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != "[]" {
		t.Errorf("no decisions: status %d, body %q; want []", w.Code, w.Body)
	} else if err := json.Unmarshal(w.Body.Bytes(), &empty); err != nil {
		t.Error(err)
	}
}

// Every answer forbids loading, running and framing anything; the inline
// style is allowed by its hash, and only it.
func TestPageSecurityHeaders(t *testing.T) {
	p, _ := newTestPage(t)
	page := get(t, p, "/decisions/web").Body.String()
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no inline style")
	}
	sum := sha256.Sum256([]byte(m[1]))
	hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	for _, path := range []string{"/", "/decisions/", "/decisions/web", "/decisions/web.json", "/decisions/nope", "/decisions/web?since=x", "/elsewhere"} {
		t.Run(path, func(t *testing.T) {
			h := get(t, p, path).Header()
			csp := h.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "style-src " + hash, "img-src data:", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
				}
			}
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options: got %q, want nosniff", got)
			}
		})
	}
	// Nothing the policy would block: no script, no style attribute, no
	// outside address.
	for _, banned := range []string{"<script", " style=", "http://", "https://", "<link rel=\"stylesheet\""} {
		if strings.Contains(strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, ""), banned) {
			t.Errorf("the page contains %q, which its policy blocks or which loads from elsewhere", banned)
		}
	}
}

// failingJournal cannot read.
type failingJournal struct{ memory.Journal }

func (*failingJournal) Records(context.Context, string, time.Time, time.Time, int) ([]controller.Record, error) {
	return nil, errors.New("disk I/O error: secret path /var/lib/headroom")
}

// A store failure is "internal error" to people and the cause in the log.
func TestPageJournalFailure(t *testing.T) {
	var log bytes.Buffer
	p := controller.NewPage(&failingJournal{}, []controller.PageTarget{{Name: "web", Mode: headroom.ModeEnforce}}, func() time.Time { return pageNow })
	p.Logger = slog.New(slog.NewTextHandler(&log, nil))
	for _, path := range []string{"/", "/decisions/web", "/decisions/web.json"} {
		w := get(t, p, path)
		if body := w.Body.String(); w.Code != http.StatusInternalServerError || !strings.Contains(body, "internal error") || strings.Contains(body, "secret") {
			t.Errorf("%s: status %d, body\n%s\nwant 500 and internal error, without the cause", path, w.Code, body)
		}
	}
	if !strings.Contains(log.String(), "disk I/O error") {
		t.Errorf("the cause is not logged:\n%s", log.String())
	}
}

// Regression test for the decisions page labelling a two-minute window
// with three ticks at whole minutes: its axes come from internal/chart now,
// as the report's do, so a short window gets ticks under a minute apart
// (and instance counts stay whole numbers).
func TestPageChartTicks(t *testing.T) {
	p, _ := newTestPage(t)
	body := get(t, p, "/decisions/web?since=2m").Body.String()
	capacity, _, _ := strings.Cut(body[strings.Index(body, `<svg class="chart capacity"`):], "</svg>")
	label := regexp.MustCompile(`text-anchor="middle" fill="#[0-9a-f]+">([^<]+)</text>`)
	var times []string
	for _, m := range label.FindAllStringSubmatch(capacity, -1) {
		times = append(times, m[1])
	}
	if got, want := strings.Join(times, " "), "17:58:00 Jun 30 17:58:15 17:58:30 17:58:45 17:59:00 17:59:15 17:59:30 17:59:45 18:00:00"; got != want {
		t.Errorf("time ticks of a 2-minute window = %q, want %q", got, want)
	}
	y := regexp.MustCompile(`text-anchor="end" fill="#[0-9a-f]+">([^<]+)</text>`)
	for _, m := range y.FindAllStringSubmatch(capacity, -1) {
		if strings.Contains(m[1], ".") {
			t.Errorf("capacity tick %q: instance counts are whole numbers", m[1])
		}
	}
}
