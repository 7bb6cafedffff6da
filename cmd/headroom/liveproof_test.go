//go:build linux

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/config"
	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/internal/fleettest"
	"github.com/headroomhq/headroom/internal/pgtest"
	"github.com/headroomhq/headroom/metrics/prom/promtest"
	"github.com/headroomhq/headroom/traffic"
)

// liveProofPostgres runs the live proof on PostgreSQL too, 2–3 minutes
// more: go test ./cmd/headroom -run TestLiveProof -args -liveproof.postgres
var liveProofPostgres = flag.Bool("liveproof.postgres", false, "TestLiveProof: run on PostgreSQL too (2-3 minutes more)")

// The live proof, in compressed time. The example's seed incident is
// replayed with real parts: a fleet of HTTP instances on loopback, a
// reverse proxy in front that answers 502 when they are saturated, a load
// generator replaying traffic.csv, a real Prometheus scraping the proxy,
// and `headroom serve` as a real process resizing the fleet through the
// command actuator with the example's proposed policy. Two worlds run side
// by side on the same traffic: guards off, where the "night-savings" cut
// makes real 502s, the detector pages from Prometheus data, the incident
// reaches the status page and, once resolved, the postmortem draft counts
// the failed requests the load generator saw (within 5%); and guards on,
// where the cut is deferred: no 502 burst, no incident.
//
// Time runs proofSpeed times faster than the example's: a loop is 1 s
// (15 s), an instance starts in 12 s (3 m), the policy syncs every second
// and stabilizes scale-down over 20 s (300 s), the detector's windows are
// the example's over 15, and the cut fires at a wall-clock minute that
// stands for 17:00 UTC. Demand and capacity are both divided by
// proofScale, so the instance counts are the example's. The detector's
// history keeps its 15 s buckets: a window shorter than that (the fast
// rule's 1 s) reads the bucket so far.
//
// The replay starts at once, at the example's time that maps to now: the
// cut is the first whole minute at least proofLead away, so the replay
// starts between 16:35 and 16:50. It runs until the guards-off incident is
// resolved and drafted and the example's 17:18 has passed (17:30 at most):
// at most 100 s to the cut and 72 s after it, under 3 minutes.
func TestLiveProof(t *testing.T) {
	promBin := promtest.Binary(t)
	stores := []string{"sqlite"}
	if *liveProofPostgres {
		stores = append(stores, "postgres")
	}
	for _, store := range stores {
		t.Run(store, func(t *testing.T) {
			database := ""
			if store == "postgres" {
				database = pgtest.NewDatabase(t)
			}
			liveProof(t, promBin, database)
		})
	}
}

const (
	// proofSpeed is the time compression; proofScale divides demand and
	// capacity per instance.
	proofSpeed = 15
	proofScale = 30
	// proofService is one worker per instance at 300 ms a request: 3.33
	// req/s, the example's 100 req/s over proofScale.
	proofService = 300 * time.Millisecond
	// proofTimeout is the example's 10 s request timeout, compressed.
	proofTimeout = 667 * time.Millisecond
	// proofStartup is the example's 3 m start-up delay, compressed.
	proofStartup = 12 * time.Second
	// proofLead is the least wall time from the start to the cut: 40 s is
	// the 10 minutes of 16:50–17:00 at proofSpeed.
	proofLead = 40 * time.Second
)

// proofCut is the moment of the seed's cut: 17:00 UTC.
var proofCut = time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)

// proofServiceYAML is the example's service over proofScale and proofSpeed:
// its capacity, start-up delay, timeout and SLO window, and its detection
// rules with every window, `for` and `keepFiringFor` divided by 15. The
// latency SLO is the fleet's own: an idle instance answers in 300 ms.
const proofServiceYAML = `apiVersion: headroom.dev/v1alpha1
kind: Service
metadata:
  name: website-and-api
spec:
  capacityPerInstance: 3.3333333333   # 100 req/s / 30
  startupDelay: 12s                   # 3m / 15
  baseLatency: 300ms                  # one worker sleeping 300 ms a request
  requestTimeout: 667ms               # 10s / 15
  slo:
    maxErrorRatio: 0.001
    maxLatency: 450ms
    window: 4s                        # 1m / 15
  detection:
    rules:
    - {name: fast, long: 1s, factor: 30, for: 3s, keepFiringFor: 4s}
    - {name: burn-1h-5m, long: 4m, short: 20s, factor: 14.4, keepFiringFor: 20s}
    - {name: burn-6h-30m, long: 24m, short: 2m, factor: 6, keepFiringFor: 2m}
    - {name: latency-5m-1m, long: 20s, short: 4s, latency: 450ms, for: 8s, keepFiringFor: 20s}
`

// proofPolicyYAML is the example's proposed policy for compressed time:
// the "night-savings" cut (min 10, desired 12) at minute %d of hour %d UTC,
// the other schedules left out, cpu target tracking at 60% with the HPA's
// default behavior over 15 (4 pods or 100% a second up, 20 s
// stabilization down) and a 1 s sync period.
const proofPolicyYAML = `apiVersion: headroom.dev/v1alpha1
kind: ScalingPolicy
metadata:
  name: website-and-api
spec:
  minInstances: 20
  maxInstances: 120
  timeZone: UTC
  schedules:
  - name: night-savings
    cron: "%d %d * * *"
    minInstances: 10
    desiredInstances: 12
  targetTracking:
    metric: cpu
    target: 60
    syncPeriod: 1s
    behavior:
      scaleUp:
        stabilizationWindowSeconds: 0
        selectPolicy: Max
        policies:
        - {type: Pods, value: 4, periodSeconds: 1}
        - {type: Percent, value: 100, periodSeconds: 1}
      scaleDown:
        stabilizationWindowSeconds: 20
        selectPolicy: Max
        policies:
        - {type: Percent, value: 100, periodSeconds: 1}
`

// proofWorld is one of the two runs: its fleet and proxy, its serve, its
// status page and its load.
type proofWorld struct {
	name   string // "off" or "on": the guards, and the Prometheus job
	dir    string
	cfg    string
	page   string
	proxy  *fleettest.Proxy
	fleet  *fleettest.Fleet
	serve  *proc
	load   *fleettest.Load
	guards bool
}

func liveProof(t *testing.T, promBin, database string) {
	began := time.Now()
	// The cut is at the first whole minute proofLead away; the replay
	// starts now, at the example's time that maps there.
	cut := began.Add(proofLead + time.Minute - time.Nanosecond).Truncate(time.Minute)
	exampleTime := func(wall time.Time) time.Time {
		return proofCut.Add(time.Duration(proofSpeed * float64(wall.Sub(cut))))
	}
	series, _, err := traffic.ReadFile(example+"traffic.csv", traffic.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// rate is the wall-clock demand: the example's rate at the example's
	// time over proofScale.
	rate := func(wall time.Time) float64 {
		sec := int(exampleTime(wall).Sub(series.Start) / time.Second)
		if sec < 0 || sec >= series.Seconds() {
			return 0
		}
		return series.RateAt(sec) / proofScale
	}
	// The fleet starts at what cpu at 60% wants for the first minute.
	var first float64
	for i := range 60 {
		first += series.RateAt(int(exampleTime(began).Sub(series.Start)/time.Second)+i) / 60
	}
	capacity := 1 / proofService.Seconds()
	initial := int(math.Ceil(first / proofScale / (capacity * 0.6)))
	t.Logf("cut at %s (17:00 UTC), replay from %s UTC, %d instances at %.0f req/s to start",
		cut.Format("15:04:05"), exampleTime(began).Format("15:04:05"), initial, first/proofScale)

	worlds := []*proofWorld{{name: "off"}, {name: "on", guards: true}}
	targets := map[string]string{}
	for _, w := range worlds {
		w.dir = t.TempDir()
		w.proxy, w.fleet = fleettest.NewProxy(t, fleettest.Config{Dir: w.dir, Initial: initial, Workers: 1,
			ServiceTime: proofService, RequestTimeout: proofTimeout, StartupDelay: proofStartup})
		targets[w.name] = w.proxy.Addr
	}
	promServer := promtest.Start(t, promBin, targets)
	for _, w := range worlds {
		w.cfg = proofConfig(t, w, promServer.URL, database, cut)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		w.page = "http://" + addr
		w.serve = spawn(t, "serve-guards-"+w.name, "serve", "--config", w.cfg, "--listen", addr)
	}
	for _, w := range worlds {
		waitFor(t, 30*time.Second, "serve (guards "+w.name+") leads and serves the page", func() bool {
			return strings.Contains(w.serve.output(), "lease acquired") && statusIncidents(t, w.page) != nil
		}, w.serve)
	}
	if d := time.Until(cut); d < 10*time.Second {
		t.Fatalf("set-up took %s: %s left before the cut, too little for a steady start", time.Since(began).Round(time.Millisecond), d)
	}

	// The load: from now until the checks below are done, 17:30 in the
	// example's time at most.
	end := cut.Add(30 * time.Minute / proofSpeed)
	ctx, stop := context.WithDeadline(context.Background(), end)
	defer stop()
	for _, w := range worlds {
		w.load = fleettest.StartLoad(ctx, w.proxy.URL+"/", rate, 9)
	}
	stopped := false
	stopLoad := func() {
		if !stopped {
			stop()
			for _, w := range worlds {
				w.load.Wait()
			}
			stopped = true
		}
	}
	defer stopLoad()
	stalls := watchStalls(ctx, cut)

	// Guards off: the incident opens, recovers, and a person resolves it.
	off, on := worlds[0], worlds[1]
	logs := []*proc{off.serve, on.serve}
	code, out, stderr := run(t, "token", "create", "on-call", "--config", off.cfg)
	if code != ExitPass {
		t.Fatalf("token create: exit %d\n%s", code, stderr)
	}
	admin := []string{"--server", off.page, "--token", strings.TrimSpace(out)}
	resolve := func(id string) {
		t.Helper()
		if code, _, stderr := run(t, append([]string{"incident", "resolve", id, "--body", "This incident has been resolved."}, admin...)...); code != ExitPass {
			t.Fatalf("incident resolve: exit %d\n%s", code, stderr)
		}
	}
	// A stall of this shared machine before the cut can fail a burst of
	// requests and page (the long windows hold only seconds of data at
	// the start): the on-call person resolves such a blip before the cut,
	// and the proof is about the incident the cut opens.
	if d := time.Until(cut.Add(-3 * time.Second)); d > 0 {
		time.Sleep(d)
	}
	for _, inc := range proofIncidents(t, off.page) {
		t.Logf("guards off: an incident before the cut, opened %s from it (%s): resolved", inc.CreatedAt.Sub(cut).Round(time.Millisecond), inc.Status)
		if inc.Status != "resolved" {
			resolve(inc.ID)
		}
	}
	var inc proofIncident
	waitFor(t, cut.Add(time.Minute).Sub(time.Now()), "the guards-off incident on the status page", func() bool {
		incs := proofIncidentsSince(t, off.page, cut)
		if len(incs) == 1 {
			inc = incs[0]
		}
		return len(incs) == 1
	}, logs...)
	waitFor(t, 90*time.Second, "the guards-off incident moves to monitoring", func() bool {
		incs := proofIncidentsSince(t, off.page, cut)
		return len(incs) == 1 && incs[0].Status == "monitoring"
	}, logs...)
	resolve(inc.ID)
	resolved := time.Now()
	show := func() string {
		_, out, _ := run(t, append([]string{"incident", "show", inc.ID}, admin...)...)
		return out
	}
	waitFor(t, 30*time.Second, "serve drafts the postmortem", func() bool { return strings.Contains(show(), "## Summary") }, off.serve)
	draft := show()

	// Guards on: at least 18 minutes of the example's time after the cut,
	// past the seed's impact (17:00–17:10) and its scale-in.
	if d := time.Until(cut.Add(18 * time.Minute / proofSpeed)); d > 0 {
		time.Sleep(d)
	}
	stopLoad()
	elapsed := time.Since(began)
	t.Logf("the test process stalled (a tick over 100 ms late) at %s from the cut", strings.Join(<-stalls, ", "))

	// Guards off: what the load generator saw from the cut on against the
	// draft.
	bad := off.load.BadGateways()
	before := slices.IndexFunc(bad, func(at time.Time) bool { return !at.Before(cut) })
	if before < 0 {
		before = len(bad)
	}
	seen := len(bad) - before
	m := regexp.MustCompile(`About ([0-9,]+) requests failed`).FindStringSubmatch(draft)
	if m == nil {
		t.Fatalf("the draft states no failed-request count:\n%s", draft)
	}
	drafted, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	if seen == 0 {
		t.Fatalf("guards off: no 502 seen (%v of %d requests)\n%s", off.load.Codes(), off.load.Sent(), off.serve.output())
	}
	late := 0
	for _, at := range bad {
		if at.After(resolved) {
			late++
		}
	}
	diff := float64(drafted-seen) / float64(seen)
	t.Logf("guards off: %d requests, %d answered 502 from the cut on (%d before it; the proxy: %v; %d after the resolution), %d without an answer; the draft: %d failed (%+.1f%%)",
		off.load.Sent(), seen, before, off.proxy.BadGateways(), late, off.load.Errors(), drafted, 100*diff)
	if math.Abs(diff) > 0.05 {
		t.Errorf("the draft counts %d failed requests, the load generator saw %d 502s: %+.1f%%, want within 5%%\n%s", drafted, seen, 100*diff, draft)
	}
	if n := off.load.Errors(); n > 0 {
		t.Errorf("guards off: %d requests got no answer at all", n)
	}
	for _, line := range strings.Split(draft, "\n") {
		if strings.HasPrefix(line, "The impact lasted") || strings.HasPrefix(line, "The incident was detected") {
			t.Logf("the draft: %s", line)
		}
	}
	for _, want := range []string{"This incident affected: Website and API.", `scheduled action "night-savings"`} {
		if !strings.Contains(draft, want) {
			t.Errorf("the draft lacks %q:\n%s", want, draft)
		}
	}

	// The detection delay: from the first 502 after the cut (a stall of
	// the loaded machine may answer one or two before) to the detector's
	// first symptom alert; the cause alert against the cut.
	firstBad := bad[before]
	alerts := proofAlerts(t, off.cfg)
	var symptom *headroom.Alert
	for i, a := range alerts {
		if a.StartsAt.Before(cut) {
			continue
		}
		switch a.Signal {
		case headroom.SignalSymptom:
			if symptom == nil || a.StartsAt.Before(symptom.StartsAt) {
				symptom = &alerts[i]
			}
			t.Logf("guards off: symptom alert %s %s after the first 502 (%s in the example's time): %s", a.Rule,
				a.StartsAt.Sub(firstBad).Round(time.Millisecond), (proofSpeed * a.StartsAt.Sub(firstBad)).Round(time.Second), a.Reason.Message)
		case headroom.SignalCause:
			t.Logf("guards off: cause alert %s after the cut: %s", a.StartsAt.Sub(cut).Round(time.Millisecond), a.Reason.Message)
		}
	}
	if symptom == nil {
		t.Fatalf("guards off: no symptom alert in the alert log\n%s", off.serve.output())
	}
	t.Logf("guards off: first 502 %s after the cut (%d before it); the first symptom alert %s later; the incident on the status page %s after the first 502",
		firstBad.Sub(cut).Round(time.Millisecond), before,
		symptom.StartsAt.Sub(firstBad).Round(time.Millisecond), inc.CreatedAt.Sub(firstBad).Round(time.Millisecond))
	if d := symptom.StartsAt.Sub(firstBad); d < 0 || d > 15*time.Second {
		t.Errorf("the symptom alert started %s after the first 502: want within 15 s (3m45s of the example's time)", d)
	}

	// Guards on: no 502 burst, no incident.
	onCodes, onSent := on.load.Codes(), on.load.Sent()
	onBad := on.load.BadGateways()
	var at []string
	for _, b := range onBad {
		at = append(at, b.Sub(cut).Round(time.Millisecond).String())
	}
	t.Logf("guards on: %d requests, answers %v (502s at %s from the cut: %v), %d without an answer",
		onSent, onCodes, strings.Join(at, ", "), on.proxy.BadGateways(), on.load.Errors())
	// No burst from the cut on: the 502s are fewer than the SLO's budget
	// (0.1%) of the requests, and at most 5 in any second (5% of a
	// second's requests; the detector's fast rule pages at 3%). Before
	// the cut both servers run the same policy, and a stall of this
	// shared machine can fail a few requests in either: not the cut's.
	var afterCut []time.Time
	for _, b := range onBad {
		if !b.Before(cut) {
			afterCut = append(afterCut, b)
		}
	}
	if n := len(afterCut); float64(n) > 0.001*float64(onSent) || proofBurst(afterCut, time.Second) > 5 {
		t.Errorf("guards on: %d 502s from the cut on, of %d requests (at most %d in one second): want fewer than the SLO's 0.1%% and no burst", n, onSent, proofBurst(afterCut, time.Second))
	}
	if !proofDeferred(t, on.cfg, cut) {
		t.Errorf("guards on: no decision deferred the cut\n%s", on.serve.output())
	}
	// From the cut on: a stall before it can page in either world.
	if incs := proofIncidentsSince(t, on.page, cut); len(incs) != 0 {
		t.Errorf("guards on: incidents %+v, want none\n%s", incs, on.serve.output())
	}
	for _, a := range proofAlerts(t, on.cfg) {
		if a.Signal == headroom.SignalSymptom && !a.StartsAt.Before(cut) {
			t.Errorf("guards on: symptom alert %s: %s", a.Rule, a.Reason.Message)
		}
	}
	for _, w := range worlds {
		for _, line := range strings.Split(w.serve.output(), "\n") {
			if strings.Contains(line, "msg=scaled") || strings.Contains(line, "msg=alert") || strings.Contains(line, "msg=\"alert resolved\"") {
				t.Logf("guards %s: %s", w.name, line)
			}
		}
	}
	t.Logf("wall time %s (the cut %s after the start)", elapsed.Round(time.Second), cut.Sub(began).Round(time.Second))
}

// proofConfig writes w's headroom.yaml, service and policy.
func proofConfig(t *testing.T, w *proofWorld, promURL, database string, cut time.Time) string {
	t.Helper()
	cutUTC := cut.UTC()
	files := map[string]string{
		"service.yaml": proofServiceYAML,
		"policy.yaml":  fmt.Sprintf(proofPolicyYAML, cutUTC.Minute(), cutUTC.Hour()),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(w.dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db := ""
	if database != "" {
		// Each world its own database.
		db = "  database: " + database + "\n  leaseDuration: 3s\n"
		if w.guards {
			db = "  database: " + pgtest.NewDatabase(t) + "\n  leaseDuration: 3s\n"
		}
	}
	job := fmt.Sprintf(`job=%q`, w.name)
	rate := func(metric, labels string) string {
		return fmt.Sprintf("sum(rate(%s{%s%s}[4s]))", metric, job, labels)
	}
	cfg := filepath.Join(w.dir, "headroom.yaml")
	body := `apiVersion: headroom.dev/v1alpha1
kind: Config
spec:
  dataDir: data
  loopInterval: 1s
` + db + `  page:
    name: Bitbucket
    components:
    - name: Website and API
  targets:
  - name: web
    mode: enforce
    service: service.yaml
    policy: policy.yaml
    guards: {enabled: ` + strconv.FormatBool(w.guards) + `}
    prometheus:
      url: ` + promURL + `
      demand: '` + rate("http_requests_total", "") + `'
      errorRatio: '` + rate("http_requests_total", `,code="502"`) + " / " + rate("http_requests_total", "") + `'
      latency: '` + rate("http_request_duration_seconds_sum", `,code="200"`) + " / " + rate("http_request_duration_seconds_count", `,code="200"`) + `'
      utilization: 'clamp_max(100 * ` + rate("fleet_busy_seconds_total", "") + ` / sum(fleet_ready_workers{` + job + `}), 100)'
      window: 1s
    command:
      scale: ["` + w.fleet.ScaleCommand() + `"]
      read: ["` + w.fleet.ReadCommand() + `"]
      timeout: 5s
    incident:
      components: [website-and-api]
      service: website and API services
      monitorAfter: 20s
`
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := run(t, "validate", cfg); code != ExitPass {
		t.Fatalf("validate %s: exit %d\n%s%s", cfg, code, out, stderr)
	}
	return cfg
}

// proofAlerts returns the target's alert log: every alert that started,
// as serve keeps it for postmortems.
func proofAlerts(t *testing.T, path string) []headroom.Alert {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := openStore(context.Background(), cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	alerts, err := controller.AlertLog(context.Background(), db, "web", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return alerts
}

// proofDeferred reports whether a decision from the cut on says the
// scale-in guard deferred a reduction.
func proofDeferred(t *testing.T, cfg string, cut time.Time) bool {
	t.Helper()
	code, out, stderr := run(t, "decisions", "web", "--config", cfg, "--format", "json", "--since", "1h")
	if code != ExitPass {
		t.Fatalf("decisions: exit %d\n%s", code, stderr)
	}
	var recs []struct {
		Time     time.Time
		Decision struct{ Reason headroom.Reason }
	}
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatalf("decisions: %v\n%s", err, out)
	}
	for _, r := range recs {
		// Deferred by the scale-in guard, or held by the rate limit
		// after it (the reason then ends with the rate limit's code).
		held := r.Decision.Reason.Code == headroom.ReasonScaleInDeferred || r.Decision.Reason.Code == headroom.ReasonScaleInLimited
		if !r.Time.Before(cut) && held && strings.Contains(r.Decision.Reason.Message, "scheduled action") {
			return true
		}
	}
	return false
}

// proofIncident is an incident as the status page's public JSON has it.
type proofIncident struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// proofIncidents reads the status page's incidents.
func proofIncidents(t *testing.T, page string) []proofIncident {
	t.Helper()
	resp, err := http.Get(page + "/api/v2/incidents.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Incidents []proofIncident `json:"incidents"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc.Incidents
}

// proofIncidentsSince returns the incidents opened at or after from.
func proofIncidentsSince(t *testing.T, page string, from time.Time) []proofIncident {
	t.Helper()
	var since []proofIncident
	for _, inc := range proofIncidents(t, page) {
		if !inc.CreatedAt.Before(from) {
			since = append(since, inc)
		}
	}
	return since
}

// watchStalls reports the moments (from the cut) the test process woke
// over 100 ms late, until ctx ends: a loaded machine's stalls, which can
// answer a 502 or two that capacity did not cause.
func watchStalls(ctx context.Context, cut time.Time) <-chan []string {
	out := make(chan []string, 1)
	go func() {
		var stalls []string
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-ctx.Done():
				out <- stalls
				return
			case now := <-tick.C:
				if late := now.Sub(last); late > 100*time.Millisecond {
					stalls = append(stalls, fmt.Sprintf("%s (%s)", now.Sub(cut).Round(time.Millisecond), late.Round(time.Millisecond)))
				}
				last = now
			}
		}
	}()
	return out
}

// proofBurst returns the most times in any window of d.
func proofBurst(times []time.Time, d time.Duration) int {
	most := 0
	for i, j := 0, 0; j < len(times); j++ {
		for times[j].Sub(times[i]) >= d {
			i++
		}
		most = max(most, j-i+1)
	}
	return most
}
