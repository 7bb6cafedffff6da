// Package promtest runs a real Prometheus (Debian's prometheus package) for
// tests: the metrics source's own tests and end-to-end tests of serve.
package promtest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Binary finds Debian's prometheus; under CI=true a missing one fails the
// test, elsewhere it is skipped with a message.
func Binary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("prometheus"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no prometheus on PATH: CI must install Debian's prometheus package for the tests that run a real Prometheus")
	}
	t.Skip("no prometheus on PATH; install Debian's prometheus package (apt-get install prometheus) to run the tests against a real server")
	return ""
}

// Server is a Prometheus process of the test's own.
type Server struct {
	URL  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	mu   sync.Mutex
	out  bytes.Buffer
}

// Write collects the process's output.
func (p *Server) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

// Log returns what the process printed.
func (p *Server) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// Start starts bin in a temporary directory, scraping each job's target
// (host:port) every second, and waits until it is ready. Cleanup kills it.
func Start(t *testing.T, bin string, targets map[string]string) *Server {
	t.Helper()
	return StartWith(t, bin, Options{Targets: targets})
}

// Options are what StartWith may change of Start's server.
type Options struct {
	// Targets are scraped every second: job name → host:port.
	Targets map[string]string
	// DataDir is the TSDB directory the server opens, such as blocks that
	// promtool backfilled (Backfill); a new one in the test's temporary
	// directory when empty. The server writes to it (its lock, the WAL).
	DataDir string
	// Retention is how much history the server keeps
	// (--storage.tsdb.retention.time); Prometheus's 15 days when zero.
	// Backfilled blocks older than it, counted from the newest, are
	// deleted at start.
	Retention time.Duration
}

// StartWith is Start with Options.
func StartWith(t *testing.T, bin string, opt Options) *Server {
	t.Helper()
	targets := opt.Targets
	dir := t.TempDir()
	data := opt.DataDir
	if data == "" {
		data = filepath.Join(dir, "data")
	}
	var cfg strings.Builder
	cfg.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n")
	for job, addr := range targets {
		fmt.Fprintf(&cfg, "  - job_name: %s\n    static_configs:\n      - targets: ['%s']\n", job, addr)
	}
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// The port is free when asked; another process could take it before
	// Prometheus binds it, so a start that fails early is tried again.
	for attempt := 1; ; attempt++ {
		addr := freeAddr(t)
		p := &Server{URL: "http://" + addr, done: make(chan struct{})}
		args := []string{"--config.file=" + config, "--storage.tsdb.path=" + data, "--web.listen-address=" + addr, "--log.level=warn"}
		if opt.Retention > 0 {
			args = append(args, fmt.Sprintf("--storage.tsdb.retention.time=%dh", int(opt.Retention.Hours())))
		}
		p.cmd = exec.Command(bin, args...)
		p.cmd.Dir = dir
		p.cmd.Stdout, p.cmd.Stderr = p, p
		dieWithParent(p.cmd)
		if err := p.cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", bin, err)
		}
		go func() {
			_ = p.cmd.Wait()
			close(p.done)
		}()
		t.Cleanup(p.Kill)
		err := p.waitReady(30 * time.Second)
		if err == nil {
			return p
		}
		p.Kill()
		if attempt == 3 {
			t.Fatalf("prometheus at %s: %v; its log:\n%s", p.URL, err, p.Log())
		}
	}
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

// waitReady polls /-/ready until Prometheus answers 200.
func (p *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-p.done:
			return fmt.Errorf("exited before it was ready (%v)", p.cmd.ProcessState)
		default:
		}
		if resp, err := client.Get(p.URL + "/-/ready"); err == nil {
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
// waits for it.
func (p *Server) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Backfill writes the OpenMetrics text at openMetrics (samples with
// timestamps, ending in "# EOF") into TSDB blocks in a new directory with
// promtool's `tsdb create-blocks-from openmetrics`, the way history is
// backfilled into a real server, and returns the directory for
// Options.DataDir. promtool ships with Debian's prometheus package; a
// missing one skips the test (fails it under CI=true).
func Backfill(t *testing.T, openMetrics string) string {
	t.Helper()
	return BackfillBlocks(t, openMetrics, 0)
}

// BackfillBlocks is Backfill with blocks spanning up to maxBlock (promtool's
// --max-block-duration; its 2h when zero): a month in 2-hour blocks is 372
// blocks, which take promtool minutes on a loaded machine, and one block a
// second.
func BackfillBlocks(t *testing.T, openMetrics string, maxBlock time.Duration) string {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("no promtool on PATH: CI must install Debian's prometheus package")
		}
		t.Skip("no promtool on PATH; install Debian's prometheus package (apt-get install prometheus)")
	}
	dir := filepath.Join(t.TempDir(), "data")
	args := []string{"tsdb", "create-blocks-from", "openmetrics"}
	if maxBlock > 0 {
		args = append(args, fmt.Sprintf("--max-block-duration=%dh", int(maxBlock.Hours())))
	}
	cmd := exec.Command(bin, append(args, openMetrics, dir)...)
	dieWithParent(cmd)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool tsdb create-blocks-from openmetrics %s: %v\n%s", openMetrics, err, out)
	}
	return dir
}
