// Package loadtest is a real service on loopback to hold the simulator's
// model against: instances with a bounded worker pool each, a reverse proxy
// with a queue and a timeout in front, and an open-loop Poisson load
// generator. bench/model prints the comparison; sim's tests run a few levels
// of it in CI.
//
// An instance is an HTTP server whose handler sleeps for a service time of
// known distribution (exponential or constant, mean Service) in one of its
// Workers slots. Sleeping, not spinning, is what lets a 2-core machine host
// 16 instances: the experiment measures queueing, not CPU contention, and
// the CPU it burns is the HTTP work of the three hops (client, proxy,
// instance), about 0.1 ms of CPU a request on loopback. That bounds it: the
// offered rate must stay at a few thousand requests/s to keep under one
// core, and a service time of a few tens of milliseconds keeps the timer's
// and the scheduler's jitter (tens to hundreds of microseconds) small
// against it.
//
// The proxy is HAProxy's shape (a maxconn per server and one queue in the
// frontend, "timeout queue"): a request waits in one FIFO queue for a free
// worker of any instance, and is answered 502 when it has waited longer
// than QueueTimeout. That is the M/M/c queue with a deadline on the wait the
// model assumes; nginx's round robin over per-instance queues is not.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Service describes the real service.
type Service struct {
	// Instances behind the proxy, Workers slots each.
	Instances, Workers int
	// Service is the mean service time of a request (the handler's
	// sleep); Constant makes every request take exactly that long,
	// otherwise it is exponential (the M in M/M/c).
	Service  time.Duration
	Constant bool
	// QueueTimeout is how long a request may wait for a worker before
	// the proxy answers 502.
	QueueTimeout time.Duration
}

// WaitHeader carries, on a served response, how long the request waited in
// the proxy's queue, in nanoseconds.
const WaitHeader = "X-Queue-Wait"

// Running is a started Service: the proxy's URL and how to stop it.
type Running struct {
	URL     string
	servers []*http.Server
	// held sums the time workers were held (nanoseconds) over served
	// requests counted in holds: the service time as the proxy sees it,
	// the hop to the instance included.
	held, holds atomic.Int64
}

// MeanHold returns the mean time a request held a worker, as the proxy
// measured it: the effective service time, for calibration. Zero before a
// request was served.
func (r *Running) MeanHold() time.Duration {
	n := r.holds.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(r.held.Load() / n)
}

// Start starts the instances and the proxy on 127.0.0.1.
func Start(s Service) (*Running, error) {
	if s.Instances < 1 || s.Workers < 1 || s.Service <= 0 || s.QueueTimeout <= 0 {
		return nil, fmt.Errorf("loadtest: instances, workers, service and queue timeout must be positive: %+v", s)
	}
	r := &Running{}
	transport := &http.Transport{MaxIdleConnsPerHost: s.Workers + 4, IdleConnTimeout: time.Minute}
	proxies := make([]*httputil.ReverseProxy, s.Instances)
	// slots holds one token per free worker, naming its instance;
	// goroutines blocked on a channel receive are woken in FIFO order, so
	// waiting requests are served first come, first served.
	slots := make(chan int, s.Instances*s.Workers)
	for i := range s.Instances {
		addr, err := r.serve(instance(s))
		if err != nil {
			r.Close()
			return nil, err
		}
		p := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: addr})
		p.Transport = transport
		p.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
		proxies[i] = p
		for range s.Workers {
			slots <- i
		}
	}
	front := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		arrived := time.Now()
		t := time.NewTimer(s.QueueTimeout)
		defer t.Stop()
		select {
		case i := <-slots:
			started := time.Now()
			defer func() {
				r.held.Add(int64(time.Since(started)))
				r.holds.Add(1)
				slots <- i
			}()
			w.Header().Set(WaitHeader, strconv.FormatInt(int64(started.Sub(arrived)), 10))
			proxies[i].ServeHTTP(w, req)
		case <-t.C:
			w.WriteHeader(http.StatusBadGateway)
		case <-req.Context().Done():
		}
	})
	addr, err := r.serve(front)
	if err != nil {
		r.Close()
		return nil, err
	}
	r.URL = "http://" + addr + "/"
	return r, nil
}

// instance is one instance's handler: Workers slots (the bounded worker
// pool; the proxy never sends more, so it never waits here) and a sleep.
func instance(s Service) http.Handler {
	pool := make(chan struct{}, s.Workers)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		pool <- struct{}{}
		defer func() { <-pool }()
		d := s.Service
		if !s.Constant {
			d = time.Duration(rand.ExpFloat64() * float64(s.Service))
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-req.Context().Done():
		}
		w.Header().Set("Content-Length", "2")
		w.Write([]byte("ok"))
	})
}

func (r *Running) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("loadtest: listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	r.servers = append(r.servers, srv)
	go srv.Serve(ln)
	return ln.Addr().String(), nil
}

// Close stops the proxy and the instances.
func (r *Running) Close() error {
	var errs []error
	for _, s := range r.servers {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// Result is what the load generator measured at one level.
type Result struct {
	// Sent is the requests sent; PerSecond their count in each second of
	// the run (what the model is fed).
	Sent      int
	PerSecond []float64
	// Failed counts 502s and transport errors.
	Failed int
	// Latencies are the response times of the requests that succeeded,
	// in seconds, measured from when each was due (an open-loop generator
	// running late does not hide the wait), sorted; Waits the time each
	// waited in the proxy's queue, sorted.
	Latencies, Waits []float64
	// CPU is the process's CPU time over the run (user + system).
	CPU  time.Duration
	Wall time.Duration
}

// ErrorRatio returns Failed over Sent.
func (r *Result) ErrorRatio() float64 {
	if r.Sent == 0 {
		return 0
	}
	return float64(r.Failed) / float64(r.Sent)
}

// Mean returns the mean response time of the successes, seconds.
func (r *Result) Mean() float64 {
	if len(r.Latencies) == 0 {
		return math.NaN()
	}
	var s float64
	for _, l := range r.Latencies {
		s += l
	}
	return s / float64(len(r.Latencies))
}

// Quantile returns the p-quantile (0 < p < 1) of sorted values (Latencies,
// Waits), NaN when there are none.
func Quantile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	return sorted[max(0, min(n-1, int(math.Ceil(p*float64(n)))-1))]
}

// Load sends Poisson arrivals at rate requests/s to url for d (open loop:
// each request is due at its arrival time whether earlier ones came back or
// not), waits for the last answers, and returns what it measured.
func Load(ctx context.Context, url string, rate float64, d time.Duration, seed uint64) (*Result, error) {
	if !(rate > 0) || d <= 0 {
		return nil, fmt.Errorf("loadtest: rate and duration must be positive: %g, %s", rate, d)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4096, MaxConnsPerHost: 0, IdleConnTimeout: time.Minute},
		Timeout: time.Minute}
	defer client.CloseIdleConnections()
	rng := rand.New(rand.NewPCG(seed, 0x9E3779B97F4A7C15))
	res := &Result{PerSecond: make([]float64, int((d+time.Second-1)/time.Second))}
	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		failed atomic.Int64
	)
	cpu0 := cpuTime()
	start := time.Now()
	at := time.Duration(0)
	for {
		at += time.Duration(rng.ExpFloat64() / rate * float64(time.Second))
		if at >= d {
			break
		}
		if wait := time.Until(start.Add(at)); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				wg.Wait()
				return nil, ctx.Err()
			}
		}
		res.Sent++
		res.PerSecond[int(at/time.Second)]++
		due := start.Add(at)
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Get(url)
			var wait float64
			if err == nil {
				ns, _ := strconv.ParseInt(resp.Header.Get(WaitHeader), 10, 64)
				wait = time.Duration(ns).Seconds()
				_, err = resp.Body.Read(make([]byte, 8))
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = errors.New(strconv.Itoa(resp.StatusCode))
				} else {
					err = nil
				}
			}
			if err != nil {
				failed.Add(1)
				return
			}
			l := time.Since(due).Seconds()
			mu.Lock()
			res.Latencies = append(res.Latencies, l)
			res.Waits = append(res.Waits, wait)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Wall = time.Since(start)
	res.CPU = cpuTime() - cpu0
	res.Failed = int(failed.Load())
	sort.Float64s(res.Latencies)
	sort.Float64s(res.Waits)
	return res, nil
}
