// Package world is a simulated service behind the live controller's
// interfaces: the simulator's fleet and queueing model as a
// headroom.MetricsSource and a headroom.Actuator, on a virtual clock. The
// demo and the tests of the live loop run the real controller, detector and
// incident automation against it; nothing in them knows it is simulated.
package world

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/sim"
)

// DefaultWindow is how far back an observation averages: a 15 s rate, one
// live loop, as a Prometheus rate over the loop would.
const DefaultWindow = 15 * time.Second

// second is what one simulated second held.
type second struct {
	demand, failed, served, latencySum, busy float64
}

// World is one simulated service. Its clock only moves when AdvanceTo is
// called; it is safe for concurrent use.
type World struct {
	// Window is what an observation averages over (DefaultWindow when
	// zero), and Delay how late it is: a metrics pipeline's, as the
	// simulator models them (the policy's Window and Delay).
	Window, Delay time.Duration

	mu      sync.Mutex
	svc     *headroom.Service
	traffic *headroom.Series
	model   *sim.Model
	fleet   sim.Fleet
	startup int
	next    int      // the next second to simulate, from the traffic's start
	hist    []second // the last seconds, a ring indexed by second
	// Requests and Failed count every simulated request.
	requests, failed float64
}

var (
	_ headroom.MetricsSource = (*World)(nil)
	_ headroom.Actuator      = (*World)(nil)
)

// ForPolicy returns a world whose metrics pipeline is the one the
// simulator gives policy p (its Window and Delay), so the live loop on it
// sees what check's replay sees.
func ForPolicy(svc *headroom.Service, p *headroom.Policy, traffic *headroom.Series, initial int) (*World, error) {
	w, err := New(svc, traffic, initial)
	if err != nil {
		return nil, err
	}
	if t := p.Target; t != nil {
		w.Window, w.Delay = t.Window, t.Delay
	}
	return w, nil
}

// New returns a world replaying traffic on svc, starting with initial
// ready instances at the traffic's start.
func New(svc *headroom.Service, traffic *headroom.Series, initial int) (*World, error) {
	if svc == nil || traffic == nil || len(traffic.Counts) == 0 {
		return nil, errors.New("world: a service and non-empty traffic are required")
	}
	return &World{svc: svc, traffic: traffic, model: sim.NewModel(svc), fleet: sim.Fleet{Ready: initial},
		startup: int(math.Ceil(svc.StartupDelay.Seconds())), hist: make([]second, 3600)}, nil
}

// Start is the traffic's start: the world's time zero.
func (w *World) Start() time.Time { return w.traffic.Start }

// End is the traffic's end.
func (w *World) End() time.Time { return w.traffic.End() }

// AdvanceTo simulates every second before t (up to the traffic's end).
func (w *World) AdvanceTo(t time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	to := min(int(t.Sub(w.traffic.Start)/time.Second), w.traffic.Seconds())
	for ; w.next < to; w.next++ {
		sec := w.next
		w.fleet.Tick(sec)
		demand := w.traffic.RateAt(sec)
		ready := w.fleet.Ready
		o := w.model.Serve(demand, ready)
		served := max(0, demand-o.Failed)
		w.hist[sec%len(w.hist)] = second{demand: demand, failed: o.Failed, served: served,
			latencySum: served * o.Latency.Seconds(), busy: sim.Utilization(o, ready)}
		w.requests += demand
		w.failed += o.Failed
	}
	// Launches due at the second about to start are ready now, as the
	// simulator makes them before it decides at that second.
	w.fleet.Tick(w.next)
}

// Totals returns the requests and failed requests simulated so far.
func (w *World) Totals() (requests, failed float64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.requests, w.failed
}

// Observe returns the averages over the window that ends at now (seconds
// simulated so far): demand, cpu, error ratio and mean latency.
func (w *World) Observe(_ context.Context, now time.Time) (headroom.Observation, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	window := w.Window
	if window <= 0 {
		window = DefaultWindow
	}
	end := min(int(now.Add(-w.Delay).Sub(w.traffic.Start)/time.Second), w.next)
	from := max(end-int(window/time.Second), 0, w.next-len(w.hist))
	obs := headroom.Observation{Time: w.traffic.Start.Add(time.Duration(end) * time.Second)}
	if end <= from {
		return obs, nil
	}
	var sum second
	for sec := from; sec < end; sec++ {
		s := w.hist[sec%len(w.hist)]
		sum.demand += s.demand
		sum.failed += s.failed
		sum.served += s.served
		sum.latencySum += s.latencySum
		sum.busy += s.busy
	}
	n := float64(end - from)
	obs.Demand, obs.HasDemand = sum.demand/n, true
	obs.Utilization, obs.HasUtilization = sum.busy/n, true
	obs.HasHealth = true
	if sum.demand > 0 {
		obs.ErrorRatio = min(1, sum.failed/sum.demand)
	}
	if sum.served > 0 {
		obs.Latency = time.Duration(sum.latencySum / sum.served * float64(time.Second))
	}
	return obs, nil
}

// Capacity returns the fleet's ready and launching instances.
func (w *World) Capacity(context.Context) (headroom.Capacity, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fleet.Capacity(), nil
}

// Scale sets the fleet's desired count at the world's current second: new
// instances are ready after the service's start-up delay.
func (w *World) Scale(_ context.Context, desired int, _ headroom.Reason) error {
	if desired < 0 {
		return headroom.Errorf(headroom.EINVALID, "scale to %d: a count of 0 or more", desired)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.fleet.Scale(desired, w.next, w.startup)
	return nil
}
