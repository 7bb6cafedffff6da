package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/metrics/prom/promtest"
)

const quickstart = "../../examples/live/"

// The shipped configs are valid as they are: the quickstart's and the one
// deploy/ puts in its ConfigMap.
func TestShippedConfigsValidate(t *testing.T) {
	for _, path := range []string{quickstart + "headroom.yaml", "../../deploy/config/headroom.yaml"} {
		if code, stdout, stderr := run(t, "validate", path); code != 0 {
			t.Errorf("headroom validate %s: exit %d\n%s%s", path, code, stdout, stderr)
		}
	}
}

// requestCounter stands in for the quickstart's service (examples/live/demand):
// a counter http_requests_total growing at rps requests per second.
func requestCounter(t *testing.T, rps float64) string {
	t.Helper()
	var mu sync.Mutex
	start := time.Now()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "# TYPE http_requests_total counter\nhttp_requests_total %s\n",
			strconv.FormatFloat(rps*time.Since(start).Seconds(), 'f', 3, 64))
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// The five-minute path of examples/live/README.md, run by CI: the
// quickstart's headroom.yaml, service, policy and fleet script as shipped,
// a real Prometheus scraping a stand-in for the service at 45 req/s (the
// demand program's default), and `headroom serve` as a process in the
// quickstart's directory. The fleet starts at 1 instance; serve must apply
// a decision that scales it out, say so in the fleet's log, and record it.
func TestQuickstartAppliesADecision(t *testing.T) {
	bin := promtest.Binary(t)
	dir := t.TempDir()
	for _, f := range []string{"headroom.yaml", "service.yaml", "policy.yaml", "fleet.sh", "prometheus.yml"} {
		data, err := os.ReadFile(quickstart + f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The quickstart's Prometheus scrapes job "web" at 127.0.0.1:8000;
	// the test's scrapes the stand-in under the same job name.
	promConfig, _ := os.ReadFile(filepath.Join(dir, "prometheus.yml"))
	if !strings.Contains(string(promConfig), "job_name: web") {
		t.Fatalf("examples/live/prometheus.yml has no job web, which headroom.yaml's query names:\n%s", promConfig)
	}
	server := promtest.Start(t, bin, map[string]string{"web": requestCounter(t, 45)})
	cfgPath := filepath.Join(dir, "headroom.yaml")
	cfg, _ := os.ReadFile(cfgPath)
	const shippedURL = "url: http://127.0.0.1:9090"
	if strings.Count(string(cfg), shippedURL) != 1 {
		t.Fatalf("examples/live/headroom.yaml should name the quickstart's Prometheus once (%s):\n%s", shippedURL, cfg)
	}
	cfg = []byte(strings.Replace(string(cfg), shippedURL, "url: "+server.URL, 1))
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}

	began := time.Now()
	logPath := filepath.Join(dir, "serve.log")
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	serve := exec.Command(os.Args[0], "serve", "--config", "headroom.yaml", "--listen", "")
	serve.Dir = dir // the command actuator runs ./fleet.sh from here, as the README says
	serve.Env = append(os.Environ(), "HEADROOM_TEST_MAIN=1")
	serve.Stdout, serve.Stderr = out, out
	serve.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- serve.Wait() }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			serve.Process.Signal(syscall.SIGTERM)
			<-exited
		}
	}
	defer stop()
	logOf := func() string {
		data, _ := os.ReadFile(logPath)
		fleet, _ := os.ReadFile(filepath.Join(dir, "fleet.log"))
		return fmt.Sprintf("serve:\n%s\nfleet.log:\n%s", data, fleet)
	}

	// The first applied decision: the fleet's count leaves 1.
	deadline := time.Now().Add(2 * time.Minute)
	var count int
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "fleet.count")); err == nil {
			count, _ = strconv.Atoi(strings.TrimSpace(string(data)))
		}
		if count > 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no decision applied after 2 minutes\n%s", logOf())
		}
		select {
		case err := <-exited:
			t.Fatalf("serve exited: %v\n%s", err, logOf())
		case <-time.After(200 * time.Millisecond):
		}
	}
	took := time.Since(began)

	// The count file is written before fleet.sh exits and serve records
	// the actuation: stopping serve now would cancel it mid-way (the
	// record says not applied, the next start reconciles the intent).
	// Wait for the record, then stop.
	var records []controller.Record
	var first *controller.Record
	var stdout string
	for deadline := time.Now().Add(30 * time.Second); ; {
		code, out, stderr := run(t, "decisions", "web", "--config", cfgPath, "--format", "json")
		if code != 0 {
			t.Fatalf("decisions: exit %d: %s", code, stderr)
		}
		stdout = out
		records = nil
		if err := json.Unmarshal([]byte(stdout), &records); err != nil {
			t.Fatalf("decisions --format json: %v\n%s", err, stdout)
		}
		for i := range records {
			if records[i].Applied && records[i].Decision.Desired == count {
				first = &records[i]
				break
			}
		}
		if first != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	stop()

	fleetLog, _ := os.ReadFile(filepath.Join(dir, "fleet.log"))
	if !strings.Contains(string(fleetLog), fmt.Sprintf("scaled to %d: ", count)) {
		t.Errorf("fleet.log does not say why it scaled to %d:\n%s", count, fleetLog)
	}
	if first == nil {
		t.Fatalf("no record of the applied decision to %d instances in %d records after 30 s:\n%s\n%s", count, len(records), stdout, logOf())
	}
	// The first rates of a new series are young (a few scrapes in the
	// window): the demand is the stand-in's, up to its 45 req/s.
	if first.Mode != "enforce" || first.Decision.Desired <= first.Current.Total() || !first.Observation.HasDemand || !(first.Observation.Demand > 0 && first.Observation.Demand < 50) {
		t.Errorf("the applied decision: mode %s, %s, demand %v (has %v); want a scale-out in enforce mode on up to 45 req/s",
			first.Mode, first.Decision.Reason.Code, first.Observation.Demand, first.Observation.HasDemand)
	}
	t.Logf("first applied decision %s after serve started: %d -> %d instances, %s: %s",
		took.Round(100*time.Millisecond), first.Current.Total(), count, first.Decision.Reason.Code, first.Decision.Reason.Message)
}
