package fleettest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Config is a fleet.
type Config struct {
	// Dir holds the actuator's files: scale.sh, read.sh, and the count and
	// status files they write and read.
	Dir string
	// Initial is the number of instances ready at the start.
	Initial int
	// Workers is each instance's pool; ServiceTime what one request costs
	// a worker. An instance serves Workers/ServiceTime requests a second.
	Workers     int
	ServiceTime time.Duration
	// RequestTimeout is the proxy's: a request that could not start within
	// RequestTimeout − ServiceTime is refused.
	RequestTimeout time.Duration
	// StartupDelay is launch → ready.
	StartupDelay time.Duration
}

// Fleet is a set of instances on loopback, resized through Dir.
type Fleet struct {
	cfg    Config
	count  string // written by scale.sh
	status string // read by read.sh

	ready atomic.Pointer[[]*instance] // what the proxy balances over

	mu        sync.Mutex
	running   []*instance // ready, oldest first
	launching []*launch   // oldest first
	desired   int

	busy    prometheus.Counter
	workers prometheus.Gauge
	states  *prometheus.GaugeVec

	stop chan struct{}
	done sync.WaitGroup
}

// launch is an instance starting: its timer makes it ready unless it is
// cancelled first.
type launch struct {
	timer *time.Timer
}

// Start starts cfg's fleet with cfg.Initial ready instances and registers
// its metrics in reg. Cleanup stops it.
func Start(t testing.TB, cfg Config, reg prometheus.Registerer) *Fleet {
	t.Helper()
	if cfg.Workers <= 0 || cfg.ServiceTime <= 0 || cfg.RequestTimeout <= cfg.ServiceTime {
		t.Fatalf("fleettest: workers %d, service time %s, request timeout %s: want workers > 0 and a timeout longer than the service time",
			cfg.Workers, cfg.ServiceTime, cfg.RequestTimeout)
	}
	f := &Fleet{cfg: cfg, count: filepath.Join(cfg.Dir, "count"), status: filepath.Join(cfg.Dir, "status"), desired: cfg.Initial,
		busy: prometheus.NewCounter(prometheus.CounterOpts{Name: "fleet_busy_seconds_total",
			Help: "Seconds the instances' workers spent serving requests."}),
		workers: prometheus.NewGauge(prometheus.GaugeOpts{Name: "fleet_ready_workers", Help: "Workers of the ready instances."}),
		states:  prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "fleet_instances", Help: "Instances by state."}, []string{"state"}),
		stop:    make(chan struct{}),
	}
	reg.MustRegister(f.busy, f.workers, f.states)
	f.ready.Store(&[]*instance{})
	scripts := map[string]string{
		"scale.sh": "#!/bin/sh\nprintf '%s' \"$HEADROOM_DESIRED\" > \"" + f.count + ".tmp\" && mv \"" + f.count + ".tmp\" \"" + f.count + "\"\n",
		"read.sh":  "#!/bin/sh\ncat \"" + f.status + "\"\n",
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(cfg.Dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(f.count, []byte(strconv.Itoa(cfg.Initial)), 0o644); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	for range cfg.Initial {
		in, err := f.newInstance()
		if err != nil {
			f.mu.Unlock()
			t.Fatal(err)
		}
		f.running = append(f.running, in)
	}
	f.publish()
	f.mu.Unlock()
	f.done.Add(1)
	go f.watch()
	t.Cleanup(f.close)
	return f
}

// ScaleCommand and ReadCommand are the command actuator's scripts.
func (f *Fleet) ScaleCommand() string { return filepath.Join(f.cfg.Dir, "scale.sh") }
func (f *Fleet) ReadCommand() string  { return filepath.Join(f.cfg.Dir, "read.sh") }

// Counts returns the ready and launching instances.
func (f *Fleet) Counts() (ready, launching int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.running), len(f.launching)
}

// Capacity is what one instance serves, requests/s.
func (f *Fleet) Capacity() float64 {
	return float64(f.cfg.Workers) / f.cfg.ServiceTime.Seconds()
}

// watch follows the count file.
func (f *Fleet) watch() {
	defer f.done.Done()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-tick.C:
		}
		data, err := os.ReadFile(f.count)
		if err != nil {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || n < 0 {
			continue
		}
		f.resize(n)
	}
}

// resize makes n the desired count: launches start, or launches are
// cancelled and then ready instances stop, newest first.
func (f *Fleet) resize(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n == f.desired {
		return
	}
	f.desired = n
	for total := len(f.running) + len(f.launching); total < n; total++ {
		l := &launch{}
		l.timer = time.AfterFunc(f.cfg.StartupDelay, func() { f.becomeReady(l) })
		f.launching = append(f.launching, l)
	}
	for len(f.running)+len(f.launching) > n && len(f.launching) > 0 {
		l := f.launching[len(f.launching)-1]
		l.timer.Stop()
		f.launching = f.launching[:len(f.launching)-1]
	}
	for len(f.running) > n {
		in := f.running[len(f.running)-1]
		f.running = f.running[:len(f.running)-1]
		go in.close()
	}
	f.publish()
}

// becomeReady starts l's instance, unless it was cancelled meanwhile.
func (f *Fleet) becomeReady(l *launch) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := -1
	for k, x := range f.launching {
		if x == l {
			i = k
		}
	}
	if i < 0 {
		return
	}
	in, err := f.newInstance()
	if err != nil {
		return // stays launching; the test sees it in the counts
	}
	f.launching = append(f.launching[:i], f.launching[i+1:]...)
	f.running = append(f.running, in)
	f.publish()
}

// publish makes the proxy see the ready instances and read.sh the counts;
// f.mu is held.
func (f *Fleet) publish() {
	ready := append([]*instance(nil), f.running...)
	f.ready.Store(&ready)
	f.workers.Set(float64(len(ready) * f.cfg.Workers))
	f.states.WithLabelValues("ready").Set(float64(len(ready)))
	f.states.WithLabelValues("launching").Set(float64(len(f.launching)))
	data, _ := json.Marshal(map[string]int{"ready": len(ready), "launching": len(f.launching)})
	tmp := f.status + ".tmp"
	if os.WriteFile(tmp, data, 0o644) == nil {
		os.Rename(tmp, f.status)
	}
}

// readyInstances is the proxy's view.
func (f *Fleet) readyInstances() []*instance { return *f.ready.Load() }

func (f *Fleet) close() {
	close(f.stop)
	f.done.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range f.launching {
		l.timer.Stop()
	}
	var wg sync.WaitGroup
	for _, in := range f.running {
		wg.Go(in.close)
	}
	wg.Wait()
	f.launching, f.running = nil, nil
}

// deregistration is how long a stopped instance still accepts
// connections: the proxy may have picked it just before it left the list.
const deregistration = 200 * time.Millisecond

// instance is one server with a pool of workers.
type instance struct {
	fleet   *Fleet
	addr    string
	srv     *http.Server
	workers chan struct{}
}

// newInstance starts an instance on a free loopback port.
func (f *Fleet) newInstance() (*instance, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fleettest: listen: %w", err)
	}
	in := &instance{fleet: f, addr: ln.Addr().String(), workers: make(chan struct{}, f.cfg.Workers)}
	in.srv = &http.Server{Handler: in, ReadHeaderTimeout: 5 * time.Second}
	go in.srv.Serve(ln)
	return in, nil
}

// ServeHTTP waits for a worker at most the request timeout less the
// service time, then holds it for the service time.
func (in *instance) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cfg := in.fleet.cfg
	wait := time.NewTimer(cfg.RequestTimeout - cfg.ServiceTime)
	defer wait.Stop()
	select {
	case in.workers <- struct{}{}:
	case <-wait.C:
		http.Error(w, "no worker free within the request timeout", http.StatusServiceUnavailable)
		return
	case <-r.Context().Done():
		return
	}
	time.Sleep(cfg.ServiceTime)
	<-in.workers
	// The request's cost, as CPU time counts it: a machine too loaded to
	// wake the worker on time does not make the instance busier.
	in.fleet.busy.Add(cfg.ServiceTime.Seconds())
	w.WriteHeader(http.StatusOK)
}

// close stops the instance as a load balancer deregisters one: it is out
// of the ready list already; after a moment for requests the proxy routed
// to it before, no new connections, and the requests in flight end.
func (in *instance) close() {
	time.Sleep(deregistration)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	in.srv.Shutdown(ctx)
}
