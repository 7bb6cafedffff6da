//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/headroomhq/headroom/internal/kubetest"
	"github.com/headroomhq/headroom/internal/pgtest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestMain lets a test run `headroom` as a real process: the test binary
// re-executed with HEADROOM_TEST_MAIN=1 is the CLI, so kill -9 hits a real
// serve and not the test. The tests' PostgreSQL lives as long as they run.
func TestMain(m *testing.M) {
	if os.Getenv("HEADROOM_TEST_MAIN") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(pgtest.Main(m))
}

// proc is a headroom process of the test's own.
type proc struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// spawn starts headroom with args; its output goes to a file the failure
// messages show. The kernel kills it if the test binary dies.
func spawn(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "HEADROOM_TEST_MAIN=1")
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { cmd.Wait(); out.Close(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	return p
}

func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *proc) output() string {
	data, _ := os.ReadFile(p.log)
	return string(data)
}

// metricsAPI answers Prometheus' query_range API with a demand (for
// queries on requests), which the test changes while serve runs, and the
// cpu that demand makes on the fleet's instances (100 req/s each at 100%,
// the example service's capacity). metrics/prom is tested against a real
// Prometheus; these tests are about processes.
type metricsAPI struct {
	mu     sync.Mutex
	demand float64
	count  string // the fleet's count file
}

func (m *metricsAPI) set(demand float64) {
	m.mu.Lock()
	m.demand = demand
	m.mu.Unlock()
}

func (m *metricsAPI) serve(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		v := m.demand
		m.mu.Unlock()
		if !strings.Contains(r.FormValue("query"), "requests") {
			data, _ := os.ReadFile(m.count)
			var n float64
			fmt.Sscan(string(data), &n)
			v = min(100, v/max(n, 1))
		}
		now := time.Now().Unix()
		var values [][2]any
		for ts := now - 30; ts <= now; ts += 5 {
			values = append(values, [2]any{ts, fmt.Sprint(v)})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{
			"resultType": "matrix", "result": []any{map[string]any{"metric": map[string]string{}, "values": values}}}})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// fleetFiles is a command actuator's platform on disk: count holds the
// instance count; calls gets one line "pid desired" per scale call; while
// the file hang exists, a scale call hangs (an actuation in flight) and
// writes its pid to hung; while hangAfter exists, it sets the count first,
// then hangs (the platform took it, the caller was not told yet).
type fleetFiles struct {
	dir, count, calls, hang, hangAfter, hung string
}

func newFleet(t *testing.T, dir string, count int) fleetFiles {
	f := fleetFiles{dir: dir, count: filepath.Join(dir, "count"), calls: filepath.Join(dir, "calls"),
		hang: filepath.Join(dir, "hang"), hangAfter: filepath.Join(dir, "hang-after"), hung: filepath.Join(dir, "hung")}
	os.WriteFile(f.count, []byte(fmt.Sprint(count)), 0o644)
	os.WriteFile(filepath.Join(dir, "scale.sh"), []byte(`#!/bin/sh
echo "$PPID $HEADROOM_DESIRED" >> "`+f.calls+`"
if [ -e "`+f.hang+`" ]; then echo $$ > "`+f.hung+`"; exec sleep 3600; fi
printf '%s' "$HEADROOM_DESIRED" > "`+f.count+`"
if [ -e "`+f.hangAfter+`" ]; then echo $$ > "`+f.hung+`"; exec sleep 3600; fi
`), 0o755)
	os.WriteFile(filepath.Join(dir, "read.sh"), []byte("#!/bin/sh\ncat \""+f.count+"\"\n"), 0o755)
	t.Cleanup(func() {
		// A hung call outlives a killed serve (its own process group).
		if data, err := os.ReadFile(f.hung); err == nil {
			var pid int
			fmt.Sscan(string(data), &pid)
			if pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	return f
}

// lines returns the scale calls so far, each "pid desired".
func (f fleetFiles) lines() []string {
	data, _ := os.ReadFile(f.calls)
	return strings.Fields(strings.ReplaceAll(string(data), " ", "_"))
}

// processConfig writes a headroom.yaml for process tests: one enforced
// target on a 1 s loop, a plain target tracking policy (cpu at 60%, 2 to
// 50 instances, the HPA's default behavior), guards on; extra goes into
// the spec.
func processConfig(t *testing.T, dir, promURL, extra string) string {
	t.Helper()
	data, err := os.ReadFile(example + "service.yaml")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "service.yaml"), data, 0o644)
	os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(`apiVersion: headroom.dev/v1alpha1
kind: ScalingPolicy
metadata: {name: web}
spec:
  minInstances: 2
  maxInstances: 50
  targetTracking:
    metric: cpu
    target: 60
`), 0o644)
	cfg := filepath.Join(dir, "headroom.yaml")
	os.WriteFile(cfg, []byte(`apiVersion: headroom.dev/v1alpha1
kind: Config
spec:
  dataDir: data
  loopInterval: 1s
`+extra+`  targets:
  - name: web
    mode: enforce
    service: service.yaml
    policy: policy.yaml
    prometheus:
      url: `+promURL+`
      demand: sum(rate(http_requests_total[1m]))
      utilization: avg(cpu)
      window: 5s
    command:
      scale: ["`+filepath.Join(dir, "scale.sh")+`"]
      read: ["`+filepath.Join(dir, "read.sh")+`"]
      timeout: 1h
      retries: 0
`), 0o644)
	return cfg
}

// waitFor polls cond every 100 ms for at most d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool, logs ...*proc) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			var out strings.Builder
			for _, p := range logs {
				out.WriteString(p.output())
			}
			t.Fatalf("%s: not within %s\n%s", what, d, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill -9 of serve while a scale call is in flight: no acknowledged record
// is lost, and the restarted serve decides the same count again and sets
// it (setting a count twice is one action: the platform ends at it); then
// nothing more happens.
func TestKillDuringActuation(t *testing.T) {
	dir := t.TempDir()
	fleet := newFleet(t, dir, 20)
	api := &metricsAPI{demand: 1200, count: fleet.count} // 20 instances at 60%: steady
	cfg := processConfig(t, dir, api.serve(t), "")
	serve := spawn(t, "serve1", "serve", "--config", cfg, "--listen", "")
	// records reads the journal with the CLI, beside the running serve;
	// nil before the store exists.
	records := func() []map[string]any {
		code, out, stderr := run(t, "decisions", "web", "--config", cfg, "--format", "json", "--since", "1h")
		var recs []map[string]any
		// Not yet: no file, or serve is creating it (0 bytes for an
		// instant, which the CLI refuses as a database that lost its
		// content).
		if code != ExitPass && (strings.Contains(stderr, "no decisions yet") || strings.Contains(stderr, "is empty (0 bytes)")) {
			return nil
		}
		if code != ExitPass || json.Unmarshal([]byte(out), &recs) != nil {
			t.Fatalf("decisions: exit %d\n%s%s", code, out, stderr)
		}
		return recs
	}
	waitFor(t, 30*time.Second, "three steady decisions", func() bool { return len(records()) >= 3 }, serve)

	os.WriteFile(fleet.hang, nil, 0o644)
	api.set(2040) // 102% of 20 instances: 34 are needed
	waitFor(t, 30*time.Second, "a scale call in flight", func() bool { _, err := os.Stat(fleet.hung); return err == nil }, serve)
	before := records()
	serve.kill()
	after := records()
	if len(after) < len(before) {
		t.Fatalf("kill -9 lost records: %d before, %d after", len(before), len(after))
	}
	for i := range before {
		if before[i]["time"] != after[i]["time"] {
			t.Fatalf("record %d changed: %v, then %v", i, before[i], after[i])
		}
	}
	calls := fleet.lines()
	if len(calls) != 1 {
		t.Fatalf("calls before the kill: %v, want one in flight", calls)
	}

	os.Remove(fleet.hang)
	serve2 := spawn(t, "serve2", "serve", "--config", cfg, "--listen", "")
	desired := strings.SplitN(calls[0], "_", 2)[1]
	waitFor(t, 30*time.Second, "the count set to "+desired, func() bool {
		data, _ := os.ReadFile(fleet.count)
		return string(data) == desired
	}, serve2)
	n := len(records())
	waitFor(t, 30*time.Second, "three more decisions", func() bool { return len(records()) >= n+3 }, serve2)
	calls = fleet.lines()
	if len(calls) != 2 || strings.SplitN(calls[1], "_", 2)[1] != desired || calls[0] == calls[1] {
		t.Errorf("calls %v: want the in-flight call to %s made again once, by the new process", calls, desired)
	}
	last := records()
	if r := last[len(last)-1]; r["applied"] == true || r["error"] != nil && r["error"] != "" {
		t.Errorf("last record %v: want a steady decision", r)
	}
	// Every platform call has its record: the killed one reconciled as not
	// applied (the platform never took it), the new process's applied.
	var intents []string
	for _, r := range last {
		if r["intent"] != nil {
			intents = append(intents, fmt.Sprintf("%v applied=%v %v", r["decision"].(map[string]any)["desired"], r["applied"], r["error"]))
		}
	}
	if len(intents) != len(calls) || !strings.Contains(intents[0], "applied=false reconciled after restart/takeover") {
		t.Errorf("records of actuations %q for calls %v: want one per call, the killed one reconciled as not applied", intents, calls)
	}
}

// Regression test for issue 11, item 5: kill -9 of serve after the
// platform took the count but before serve recorded it (under load,
// TestTwoReplicasShareAPostgreSQL saw calls [30 34 50] and applied records
// [30 50]). The intent was written before acting: the restarted serve finds
// it open, sees the platform at the intended count, records it applied and
// does not act again. Platform calls and applied records are the same.
func TestKillAfterTheActuationBeforeItsRecord(t *testing.T) {
	dir := t.TempDir()
	fleet := newFleet(t, dir, 20)
	api := &metricsAPI{demand: 1200, count: fleet.count}
	cfg := processConfig(t, dir, api.serve(t), "")
	serve := spawn(t, "serve1", "serve", "--config", cfg, "--listen", "")
	records := func() []map[string]any {
		code, out, stderr := run(t, "decisions", "web", "--config", cfg, "--format", "json", "--since", "1h")
		var recs []map[string]any
		// Not yet: no file, or serve is creating it (0 bytes for an
		// instant, which the CLI refuses as a database that lost its
		// content).
		if code != ExitPass && (strings.Contains(stderr, "no decisions yet") || strings.Contains(stderr, "is empty (0 bytes)")) {
			return nil
		}
		if code != ExitPass || json.Unmarshal([]byte(out), &recs) != nil {
			t.Fatalf("decisions: exit %d\n%s%s", code, out, stderr)
		}
		return recs
	}
	waitFor(t, 30*time.Second, "three steady decisions", func() bool { return len(records()) >= 3 }, serve)

	os.WriteFile(fleet.hangAfter, nil, 0o644)
	api.set(2040) // 102% of 20 instances: 34 are needed
	waitFor(t, 30*time.Second, "the count set, the call not returned", func() bool { _, err := os.Stat(fleet.hung); return err == nil }, serve)
	serve.kill()
	calls := fleet.lines()
	if len(calls) != 1 {
		t.Fatalf("calls before the kill: %v, want one, hung after taking effect", calls)
	}
	// The count the engine decided (34, or less while the metrics window
	// still averages older samples).
	desired := strings.SplitN(calls[0], "_", 2)[1]
	if data, _ := os.ReadFile(fleet.count); string(data) != desired {
		t.Fatalf("count %q after the kill, want %s", data, desired)
	}
	for _, r := range records() {
		if r["applied"] == true {
			t.Fatalf("an applied record before the restart: %v", r)
		}
	}

	os.Remove(fleet.hangAfter)
	serve2 := spawn(t, "serve2", "serve", "--config", cfg, "--listen", "")
	n := len(records())
	waitFor(t, 30*time.Second, "three more decisions", func() bool { return len(records()) >= n+3 }, serve2)
	waitFor(t, 30*time.Second, "the count at 34", func() bool { data, _ := os.ReadFile(fleet.count); return string(data) == "34" }, serve2)
	var applied, made, notes []string
	for _, r := range records() {
		if r["applied"] == true {
			applied = append(applied, fmt.Sprint(r["decision"].(map[string]any)["desired"]))
			notes = append(notes, fmt.Sprint(r["error"]))
		}
	}
	for _, c := range fleet.lines() {
		made = append(made, strings.SplitN(c, "_", 2)[1])
	}
	// The killed call is recorded, once, and not made again: a second call
	// only when the engine wants more than it set (34 after 30).
	if fmt.Sprint(applied) != fmt.Sprint(made) || made[0] != desired || (len(made) > 1 && (desired == "34" || len(made) > 2)) {
		t.Errorf("applied records %v, platform calls %v: want the same, the killed call to %s recorded and not made again", applied, made, desired)
	}
	if len(notes) == 0 || !strings.Contains(notes[0], "reconciled after restart/takeover") {
		t.Errorf("the applied records say %q: want the first reconciled after the restart", notes)
	}
}

// Two serve processes started at once on one PostgreSQL: exactly one
// leads and acts; kill -9 of the leader and the other takes over within
// the lease (3 s) and a loop, without acting again on what the first did,
// and acts on what comes next. Every record either wrote is kept.
func TestTwoReplicasShareAPostgreSQL(t *testing.T) {
	db := pgtest.NewDatabase(t)
	dir := t.TempDir()
	fleet := newFleet(t, dir, 20)
	api := &metricsAPI{demand: 1200, count: fleet.count}
	cfg := processConfig(t, dir, api.serve(t), "  database: "+db+"\n  leaseDuration: 3s\n")
	procs := []*proc{spawn(t, "a", "serve", "--config", cfg, "--listen", ""), spawn(t, "b", "serve", "--config", cfg, "--listen", "")}
	leads := func(p *proc) bool { return strings.Contains(p.output(), "lease acquired") }
	waitFor(t, 30*time.Second, "a leader", func() bool { return leads(procs[0]) || leads(procs[1]) }, procs...)
	time.Sleep(3 * time.Second) // a second leader would show by now
	if leads(procs[0]) == leads(procs[1]) {
		t.Fatalf("both or neither lead:\n%s\n%s", procs[0].output(), procs[1].output())
	}
	leader, follower := procs[0], procs[1]
	if leads(follower) {
		leader, follower = follower, leader
	}
	count := func(want string) func() bool {
		return func() bool { data, _ := os.ReadFile(fleet.count); return string(data) == want }
	}

	api.set(2040) // 102% of 20 instances: 34 are needed
	waitFor(t, 30*time.Second, "the leader scales to 34", count("34"), procs...)
	for _, c := range fleet.lines() {
		if !strings.HasPrefix(c, fmt.Sprint(leader.cmd.Process.Pid)+"_") {
			t.Errorf("call %s not made by the leader (pid %d)", c, leader.cmd.Process.Pid)
		}
	}

	calls := len(fleet.lines())
	killed := time.Now()
	leader.kill()
	waitFor(t, 15*time.Second, "the follower takes over", func() bool { return leads(follower) }, follower)
	if took := time.Since(killed); took > 3*time.Second+time.Second+2*time.Second {
		t.Errorf("takeover after %s, want within the lease (3s), a loop (1s) and slack", took)
	}
	time.Sleep(3 * time.Second)
	if n := len(fleet.lines()); n != calls {
		t.Errorf("the new leader acted again on what was done: calls %v", fleet.lines())
	}

	api.set(3060) // 90% of 34: 51 wanted, 50 at most
	waitFor(t, 30*time.Second, "the new leader scales to 50", count("50"), follower)
	last := fleet.lines()[len(fleet.lines())-1]
	if want := fmt.Sprint(follower.cmd.Process.Pid) + "_50"; last != want {
		t.Errorf("last call %s, want %s", last, want)
	}
	code, out, stderr := run(t, "decisions", "web", "--config", cfg, "--format", "json", "--since", "1h")
	var recs []map[string]any
	if code != ExitPass || json.Unmarshal([]byte(out), &recs) != nil {
		t.Fatalf("decisions: exit %d\n%s%s", code, out, stderr)
	}
	// Each action is in the journal once and reached the platform once.
	var applied, made []string
	for _, r := range recs {
		if r["applied"] == true {
			applied = append(applied, fmt.Sprint(r["decision"].(map[string]any)["desired"]))
		}
	}
	for _, c := range fleet.lines() {
		made = append(made, strings.SplitN(c, "_", 2)[1])
	}
	if fmt.Sprint(applied) != fmt.Sprint(made) || applied[len(applied)-1] != "50" {
		t.Errorf("applied decisions %v in %d records, calls %v: want the same, ending at 50", applied, len(recs), made)
	}
	// Each call was written ahead, and each intent closed by its record.
	var intents int
	for _, r := range recs {
		if r["intent"] != nil {
			intents++
		}
	}
	if intents != len(made) {
		t.Errorf("%d records of intents for calls %v: want one each", intents, made)
	}
}

// serve --once with the kubernetes actuator, from a kubeconfig file, on a
// real API server: the wiring from headroom.yaml to the Deployment.
func TestServeOnKubernetes(t *testing.T) {
	s := kubetest.Start(t)
	c := s.Client(t)
	ns := s.NewNamespace(t)
	ctx := context.Background()
	if _, err := c.AppsV1().Deployments(ns).Create(ctx, kubetest.Deployment("web", 20), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kubetest.SetReady(t, c, ns, "web", 20)
	dir := t.TempDir()
	fleet := newFleet(t, dir, 20) // only its count feeds the metrics
	api := &metricsAPI{demand: 2040, count: fleet.count}
	cfg := processConfig(t, dir, api.serve(t), "")
	data, _ := os.ReadFile(cfg)
	i := strings.Index(string(data), "    command:")
	os.WriteFile(cfg, []byte(string(data[:i])+"    kubernetes:\n      kubeconfig: "+s.Kubeconfig(t)+"\n      namespace: "+ns+"\n      deployment: web\n"), 0o644)
	code, out, stderr := run(t, "serve", "--config", cfg, "--once")
	if code != ExitPass {
		t.Fatalf("serve --once: exit %d\n%s%s", code, out, stderr)
	}
	d, err := c.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas <= 20 {
		t.Errorf("replicas %d: 102%% cpu on 20 should scale out\n%s", *d.Spec.Replicas, stderr)
	}
}
