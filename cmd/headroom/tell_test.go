//go:build linux

package main

import (
	"encoding/json"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headroomhq/headroom/alert/alertmanager/amtest"
	"github.com/headroomhq/headroom/internal/pgtest"
	"github.com/headroomhq/headroom/metrics/prom/promtest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The detect-and-tell loop end to end, with real parts: an exporter whose
// error ratio jumps from 0 to 60%, a real Prometheus scraping it, `headroom
// serve` as a real process reading it every second, a real Alertmanager
// receiving the alert (and its webhook receiver), and the incident on the
// status page, over SQLite and over PostgreSQL. serve is killed with -9
// mid-incident: the restarted one opens no second incident and does not
// start the alert again; once errors stop, the alert resolves and the
// incident moves to Monitoring.
func TestDetectAndTellEndToEnd(t *testing.T) {
	promBin, amBin := promtest.Binary(t), amtest.Binary(t)
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			database := ""
			if store == "postgres" {
				database = pgtest.NewDatabase(t)
			}
			detectAndTell(t, promBin, amBin, database)
		})
	}
}

// failingExporter serves http_requests_total{code} at 1,000 req/s, the
// share set by fail answered 502.
func failingExporter(t *testing.T) (addr string, fail func(float64)) {
	t.Helper()
	reg := prometheus.NewRegistry()
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total", Help: "Requests by status code."}, []string{"code"})
	reg.MustRegister(reqs)
	reqs.WithLabelValues("200").Add(0)
	reqs.WithLabelValues("502").Add(0)
	var share atomic.Uint64
	exporter := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop); exporter.Close() })
	go func() {
		// The counters follow the clock, not the ticks (a loaded machine
		// drops ticks).
		last := time.Now()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				// The clock, not the tick's value: a tick delivered late on
				// a loaded machine can carry a time before the last one
				// (regression test for "counter cannot decrease in value").
				now := time.Now()
				n := max(1000*now.Sub(last).Seconds(), 0)
				last = now
				f := math.Float64frombits(share.Load())
				reqs.WithLabelValues("200").Add(n * (1 - f))
				reqs.WithLabelValues("502").Add(n * f)
			}
		}
	}()
	return strings.TrimPrefix(exporter.URL, "http://"), func(f float64) { share.Store(math.Float64bits(f)) }
}

// statusIncidents reads the status page's incidents.json.
func statusIncidents(t *testing.T, base string) []struct{ ID, Name, Status string } {
	t.Helper()
	resp, err := http.Get(base + "/api/v2/incidents.json")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var doc struct {
		Incidents []struct{ ID, Name, Status string } `json:"incidents"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&doc) != nil {
		return nil
	}
	return doc.Incidents
}

func detectAndTell(t *testing.T, promBin, amBin, database string) {
	exporter, fail := failingExporter(t)
	promServer := promtest.Start(t, promBin, map[string]string{"web": exporter})
	receiver := amtest.NewReceiver(t)
	am := amtest.Start(t, amBin, amtest.Config{Webhook: receiver.URL})

	dir := t.TempDir()
	fleet := newFleet(t, dir, 20)
	service, err := os.ReadFile(example + "service.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// A fast rule of the service's own: 1% of requests failing over the
	// last 15 s (ten times the 0.1% budget) pages at once, and resets 5 s
	// after it stops holding.
	if i := strings.Index(string(service), "  detection:"); i >= 0 {
		service = service[:i] // the example's own rules: this test's are faster
	}
	service = append(service, []byte("  detection:\n    rules:\n    - {name: fast, long: 15s, factor: 10, keepFiringFor: 5s}\n")...)
	os.WriteFile(filepath.Join(dir, "service.yaml"), service, 0o644)
	os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte("apiVersion: headroom.dev/v1alpha1\nkind: ScalingPolicy\nmetadata: {name: web}\nspec:\n  minInstances: 2\n  maxInstances: 50\n"), 0o644)
	db := ""
	if database != "" {
		db = "  database: " + database + "\n  leaseDuration: 3s\n"
	}
	cfg := filepath.Join(dir, "headroom.yaml")
	os.WriteFile(cfg, []byte(`apiVersion: headroom.dev/v1alpha1
kind: Config
spec:
  dataDir: data
  loopInterval: 1s
`+db+`  alertmanager:
    urls: [`+am.URL+`]
  page:
    name: Bitbucket
    components:
    - name: Website and API
  targets:
  - name: web
    mode: shadow
    service: service.yaml
    policy: policy.yaml
    prometheus:
      url: `+promServer.URL+`
      demand: sum(rate(http_requests_total[5s]))
      errorRatio: sum(rate(http_requests_total{code="502"}[5s])) / sum(rate(http_requests_total[5s]))
      window: 5s
    command:
      scale: ["`+filepath.Join(fleet.dir, "scale.sh")+`"]
      read: ["`+filepath.Join(fleet.dir, "read.sh")+`"]
    incident:
      components: [website-and-api]
      service: website and API services
      monitorAfter: 3s
`), 0o644)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	page := "http://" + addr
	serve := spawn(t, "serve1", "serve", "--config", cfg, "--listen", addr)
	waitFor(t, 30*time.Second, "serve leads and serves the page", func() bool {
		return strings.Contains(serve.output(), "lease acquired") && statusIncidents(t, page) != nil
	}, serve)
	time.Sleep(5 * time.Second) // clean loops: nothing may fire
	if n := len(statusIncidents(t, page)); n != 0 {
		t.Fatalf("%d incidents before any error:\n%s", n, serve.output())
	}

	fail(0.6)
	symptom := func() []amtest.Alert {
		as, _ := am.Alerts(`target="web"`, `alertname="HeadroomSymptom"`)
		return as
	}
	waitFor(t, 30*time.Second, "Alertmanager holds the symptom alert", func() bool { return len(symptom()) == 1 }, serve)
	started := symptom()[0].StartsAt
	waitFor(t, 30*time.Second, "an incident on the status page", func() bool { return len(statusIncidents(t, page)) == 1 }, serve)
	inc := statusIncidents(t, page)[0]
	if inc.Status != "investigating" && inc.Status != "identified" {
		t.Errorf("incident %+v: want investigating or identified", inc)
	}
	receiver.Wait(t, 30*time.Second, "the webhook receiver gets the page", func(n amtest.Notification) bool { return n.Status == "firing" })

	// kill -9 mid-incident, and a new serve on the same store.
	serve.kill()
	serve = spawn(t, "serve2", "serve", "--config", cfg, "--listen", addr)
	waitFor(t, 30*time.Second, "the restarted serve leads", func() bool { return strings.Contains(serve.output(), "lease acquired") }, serve)
	time.Sleep(5 * time.Second) // loops with errors still on
	if incs := statusIncidents(t, page); len(incs) != 1 || incs[0].ID != inc.ID {
		t.Fatalf("after the restart: incidents %+v, want only %s\n%s", incs, inc.ID, serve.output())
	}
	if as := symptom(); len(as) != 1 || !as[0].StartsAt.Equal(started) {
		t.Fatalf("after the restart: alerts %+v, want the one started at %s", as, started)
	}
	if strings.Contains(serve.output(), "msg=alert ") {
		t.Errorf("the restarted serve started an alert again:\n%s", serve.output())
	}

	fail(0)
	waitFor(t, 60*time.Second, "the alert resolves in Alertmanager", func() bool { return len(symptom()) == 0 }, serve)
	waitFor(t, 30*time.Second, "the incident moves to monitoring", func() bool {
		incs := statusIncidents(t, page)
		return len(incs) == 1 && incs[0].Status == "monitoring"
	}, serve)
	receiver.Wait(t, 30*time.Second, "the webhook receiver gets the resolution", func(n amtest.Notification) bool { return n.Status == "resolved" })

	// A person resolves it; serve drafts the postmortem from the record,
	// and `incident postmortem --draft` builds it again.
	code, out, stderr := run(t, "token", "create", "on-call", "--config", cfg)
	if code != ExitPass {
		t.Fatalf("token create: exit %d\n%s", code, stderr)
	}
	admin := []string{"--server", page, "--token", strings.TrimSpace(out)}
	if code, _, stderr := run(t, append([]string{"incident", "resolve", inc.ID, "--body", "This incident has been resolved."}, admin...)...); code != ExitPass {
		t.Fatalf("incident resolve: exit %d\n%s", code, stderr)
	}
	show := func() string {
		_, out, _ := run(t, append([]string{"incident", "show", inc.ID}, admin...)...)
		return out
	}
	waitFor(t, 30*time.Second, "serve drafts the postmortem", func() bool { return strings.Contains(show(), "## Summary") }, serve)
	draft := show()
	for _, want := range []string{"customers of the website and API services experienced errors", "This incident affected: Website and API.",
		"status page: **Investigating**", "error ratio `sum(rate(http_requests_total{code=\"502\"}[5s]))"} {
		if !strings.Contains(draft, want) {
			t.Errorf("the draft lacks %q:\n%s", want, draft)
		}
	}
	if code, _, stderr := run(t, append([]string{"incident", "postmortem", inc.ID, "--draft", "--config", cfg}, admin...)...); code != ExitPass {
		t.Fatalf("incident postmortem --draft: exit %d\n%s", code, stderr)
	}
}
