package fleettest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The fleet serves what its model says, the proxy answers 502 for the
// rest, and the actuator's scripts resize it after the start-up delay.
func TestFleetBehindProxy(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, Initial: 2, Workers: 1, ServiceTime: 100 * time.Millisecond, RequestTimeout: 500 * time.Millisecond, StartupDelay: 300 * time.Millisecond}
	proxy, fleet := NewProxy(t, cfg)
	if got := fleet.Capacity(); got != 10 {
		t.Fatalf("capacity %g req/s per instance, want 10", got)
	}

	load := func(rate float64, d time.Duration) *Load {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		l := StartLoad(ctx, proxy.URL+"/", func(time.Time) float64 { return rate }, 1)
		l.Wait()
		if l.Errors() != 0 {
			t.Errorf("%d requests got no answer", l.Errors())
		}
		return l
	}
	// Half the capacity of 2 instances: served (a stall of a loaded
	// machine may cost a request).
	if l := load(10, 3*time.Second); l.Codes()[http.StatusBadGateway] > max(1, l.Sent()/20) {
		t.Errorf("at half capacity: %v of %d sent, want (almost) no 502", l.Codes(), l.Sent())
	}
	// Three times it: about two thirds fail.
	l := load(60, 2*time.Second)
	if got := float64(l.Codes()[http.StatusBadGateway]) / float64(l.Sent()); got < 0.5 || got > 0.8 {
		t.Errorf("at 3x capacity: %v of %d sent: 502 share %.2f, want about 0.67", l.Codes(), l.Sent(), got)
	}
	if n := len(l.BadGateways()); n != l.Codes()[http.StatusBadGateway] {
		t.Errorf("%d 502 times for %d 502s", n, l.Codes()[http.StatusBadGateway])
	}

	read := func() (r struct{ Ready, Launching int }) {
		out, err := exec.Command(fleet.ReadCommand()).Output()
		if err != nil || json.Unmarshal(out, &r) != nil {
			t.Fatalf("read.sh: %v: %s", err, out)
		}
		return r
	}
	scale := func(n string) {
		cmd := exec.Command(fleet.ScaleCommand())
		cmd.Env = append(os.Environ(), "HEADROOM_DESIRED="+n)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("scale.sh %s: %v: %s", n, err, out)
		}
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 5s (read.sh says %+v)", what, read())
			}
		}
	}
	scale("5")
	waitFor("3 launching", func() bool { r := read(); return r.Ready == 2 && r.Launching == 3 })
	waitFor("5 ready", func() bool { r := read(); return r.Ready == 5 && r.Launching == 0 })
	scale("1")
	waitFor("1 ready", func() bool { r := read(); return r.Ready == 1 && r.Launching == 0 })

	resp, err := http.Get(proxy.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`http_requests_total{code="502"}`, "http_request_duration_seconds_sum", "fleet_busy_seconds_total", "fleet_ready_workers 1"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s:\n%s", want, body)
		}
	}
}
