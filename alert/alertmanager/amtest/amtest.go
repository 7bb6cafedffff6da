// Package amtest runs a real Alertmanager (Debian's
// prometheus-alertmanager package) for tests: the alertmanager package's
// own tests and end-to-end tests of serve.
//
// Each Server is a process of the test's own: its configuration and
// storage in t.TempDir(), its API on 127.0.0.1 on a free port, clustering
// off (--cluster.listen-address=), so that it is ready at once and
// notifies without waiting for peers. Its one route sends every alert,
// grouped by alertname and target, to a webhook receiver (an httptest
// server of the test, say) with send_resolved on, so that a test also
// sees what Alertmanager delivers.
//
// When the binary is missing, a test fails under CI=true (.ci/run installs
// the package) and is skipped elsewhere. On Linux the kernel kills the
// process when the test binary dies, so a crashed or timed-out test leaves
// none behind.
package amtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// Binary finds Debian's prometheus-alertmanager (or an upstream
// alertmanager) on PATH; under CI=true a missing one fails the test,
// elsewhere it is skipped with a message.
func Binary(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"prometheus-alertmanager", "alertmanager"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no prometheus-alertmanager on PATH: CI must install Debian's prometheus-alertmanager package for the tests that run a real Alertmanager")
	}
	t.Skip("no prometheus-alertmanager on PATH; install Debian's prometheus-alertmanager package (apt-get install prometheus-alertmanager) to run the tests against a real server")
	return ""
}

// Config is what a Server's alertmanager.yml says.
type Config struct {
	// Webhook is the URL the route's receiver POSTs notifications to;
	// required.
	Webhook string
	// GroupWait, GroupInterval and RepeatInterval are the route's timers
	// (https://prometheus.io/docs/alerting/latest/configuration/#route);
	// 1s, 1s and 1h when zero, so that a test sees a notification within
	// seconds and no repeats.
	GroupWait, GroupInterval, RepeatInterval time.Duration
	// ResolveTimeout is global.resolve_timeout: how long an alert sent
	// without endsAt stays firing; 5m (Alertmanager's default) when zero.
	ResolveTimeout time.Duration
}

func (c Config) yaml() string {
	or := func(d, def time.Duration) string {
		if d <= 0 {
			d = def
		}
		return model(d)
	}
	// JSON is YAML: the URL needs no quoting rules of its own.
	webhook, _ := json.Marshal(c.Webhook)
	return fmt.Sprintf(`global:
  resolve_timeout: %s
route:
  receiver: test
  group_by: [alertname, target]
  group_wait: %s
  group_interval: %s
  repeat_interval: %s
receivers:
  - name: test
    webhook_configs:
      - url: %s
        send_resolved: true
`, or(c.ResolveTimeout, 5*time.Minute), or(c.GroupWait, time.Second), or(c.GroupInterval, time.Second),
		or(c.RepeatInterval, time.Hour), webhook)
}

// model writes d as a Prometheus duration (whole milliseconds: "1500ms").
func model(d time.Duration) string {
	return fmt.Sprintf("%dms", max(d.Milliseconds(), 1))
}

// Server is an Alertmanager process of the test's own.
type Server struct {
	// URL is the base URL of its API ("http://127.0.0.1:PORT").
	URL string

	bin, dir, addr string
	mu             sync.Mutex
	cmd            *exec.Cmd
	done           <-chan struct{} // closed when the process has exited
	out            bytes.Buffer
}

// Write collects the process's output.
func (s *Server) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(b)
}

// Log returns what the process printed, every run of it.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// Start starts bin with cfg in a temporary directory and waits until it is
// ready. Cleanup kills it.
func Start(t *testing.T, bin string, cfg Config) *Server {
	t.Helper()
	if cfg.Webhook == "" {
		t.Fatal("amtest.Start: Config.Webhook is required")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "alertmanager.yml"), []byte(cfg.yaml()), 0o644); err != nil {
		t.Fatal(err)
	}
	// The port is free when asked; another process could take it before
	// Alertmanager binds it, so a start that fails early is tried again.
	for attempt := 1; ; attempt++ {
		addr := freeAddr(t)
		s := &Server{URL: "http://" + addr, bin: bin, dir: dir, addr: addr}
		err := s.run()
		if err == nil {
			t.Cleanup(s.Kill)
			return s
		}
		if attempt == 3 {
			t.Fatalf("alertmanager at %s: %v; its log:\n%s", s.URL, err, s.Log())
		}
	}
}

// run starts the process on s.addr and waits until it is ready; a process
// that does not become ready is killed.
func (s *Server) run() error {
	cmd := exec.Command(s.bin,
		"--config.file="+filepath.Join(s.dir, "alertmanager.yml"),
		"--storage.path="+filepath.Join(s.dir, "data"),
		"--web.listen-address="+s.addr,
		"--cluster.listen-address=",
		"--log.level=warn")
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = s, s
	dieWithParent(cmd)
	done, err := launch(cmd)
	if err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	if err := s.waitReady(30 * time.Second); err != nil {
		s.Kill()
		return err
	}
	return nil
}

// Restart starts the Alertmanager again on the same address and storage,
// after Kill: what a client configured with URL sees as the same server
// coming back. It has forgotten the alerts it had (Alertmanager keeps them
// in memory only); silences and the notification log are on disk.
func (s *Server) Restart(t *testing.T) {
	t.Helper()
	s.Kill()
	// The port was ours a moment ago; bind may still find it taken
	// briefly (or by another process, then the test cannot go on).
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.run()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("restart alertmanager at %s: %v; its log:\n%s", s.URL, err, s.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// launch starts cmd from a goroutine locked to its OS thread, which then
// waits for it: Pdeathsig fires when the thread that started the child
// ends, not the process, so that thread must live as long as the child.
// The returned channel is closed when cmd has exited.
func launch(cmd *exec.Cmd) (<-chan struct{}, error) {
	started := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine, after the child
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return done, nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitReady polls /-/ready until Alertmanager answers 200.
func (s *Server) waitReady(timeout time.Duration) error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-done:
			return fmt.Errorf("exited before it was ready (%v)", cmd.ProcessState)
		default:
		}
		if resp, err := client.Get(s.URL + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s", timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill ends the process at once (SIGKILL: no shutdown, like a crash) and
// waits for it. Killing a stopped Server does nothing.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// Alert is an alert as GET /api/v2/alerts shows it (gettableAlert).
type Alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
	Status      struct {
		State string `json:"state"` // active, suppressed or unprocessed
	} `json:"status"`
	GeneratorURL string `json:"generatorURL"`
	Fingerprint  string `json:"fingerprint"`
}

// Alerts returns the alerts the server holds that match the label
// matchers (`target="web"`), as GET /api/v2/alerts answers: resolved
// alerts are left out.
//
// Errors: the request's, or an answer other than 200.
func (s *Server) Alerts(matchers ...string) ([]Alert, error) {
	q := url.Values{}
	for _, m := range matchers {
		q.Add("filter", m)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(s.URL + "/api/v2/alerts?" + q.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /api/v2/alerts: %s", resp.Status)
	}
	var alerts []Alert
	if err := json.NewDecoder(resp.Body).Decode(&alerts); err != nil {
		return nil, fmt.Errorf("GET /api/v2/alerts: %w", err)
	}
	return alerts, nil
}
