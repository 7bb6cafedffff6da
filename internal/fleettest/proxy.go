package fleettest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Proxy is the load balancer in front of a fleet.
type Proxy struct {
	// Addr is where it listens (host:port); URL is http://Addr.
	Addr, URL string

	fleet   *Fleet
	timeout time.Duration
	next    atomic.Uint64
	rp      *httputil.ReverseProxy
	reqs    *prometheus.CounterVec
	latency *prometheus.HistogramVec
	// why counts the 502s by cause.
	why sync.Map // string → *atomic.Int64
	// Registry holds the proxy's metrics and the fleet's: what /metrics
	// serves.
	Registry *prometheus.Registry
}

// Grace is how much longer than the request timeout the proxy waits for
// an instance that took the request. The instance refuses what could not
// start within the timeout (the service model's rule); the proxy's own
// deadline is for an instance that hangs, and the grace keeps a loaded
// machine's scheduling delays (a worker woken late) from turning a served
// request into a 502.
const Grace = 500 * time.Millisecond

// backendKey carries the chosen instance from ServeHTTP to Rewrite.
type backendKey struct{}

// errSaturated is an instance refusing a request: no worker free in time.
var errSaturated = errors.New("backend saturated")

// NewProxy starts a proxy in front of a new fleet of cfg; both share the
// registry /metrics serves. Cleanup stops both.
func NewProxy(t testing.TB, cfg Config) (*Proxy, *Fleet) {
	t.Helper()
	reg := prometheus.NewRegistry()
	fleet := Start(t, cfg, reg)
	p := &Proxy{fleet: fleet, timeout: cfg.RequestTimeout, Registry: reg,
		reqs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total", Help: "Requests answered, by status code."}, []string{"code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "http_request_duration_seconds", Help: "Time to answer a request, by status code.",
			Buckets: []float64{.05, .1, .2, .3, .35, .4, .5, .6, .7, .8, 1, 2}}, []string{"code"}),
	}
	reg.MustRegister(p.reqs, p.latency)
	for _, code := range []string{"200", "502"} {
		p.reqs.WithLabelValues(code).Add(0)
		p.latency.WithLabelValues(code)
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			in := r.In.Context().Value(backendKey{}).(*instance)
			r.Out.URL.Scheme, r.Out.URL.Host = "http", in.addr
		},
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: time.Second}).DialContext,
			MaxIdleConns:        4096,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
		},
		ModifyResponse: func(resp *http.Response) error {
			if resp.StatusCode == http.StatusServiceUnavailable {
				return errSaturated
			}
			return nil
		},
		// Whatever went wrong (saturated, timed out, connection refused),
		// the client gets a 502, as from nginx or an ALB.
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			p.count(cause(err))
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", http.HandlerFunc(p.serve))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	p.Addr = ln.Addr().String()
	p.URL = "http://" + p.Addr
	return p, fleet
}

// serve sends r to the next ready instance, round robin, within the
// request timeout and Grace.
func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	ready := p.fleet.readyInstances()
	if len(ready) == 0 {
		p.count("no instance ready")
		rec.WriteHeader(http.StatusBadGateway)
	} else {
		in := ready[int((p.next.Add(1)-1)%uint64(len(ready)))]
		ctx, cancel := context.WithTimeout(r.Context(), p.timeout+Grace)
		p.rp.ServeHTTP(rec, r.WithContext(context.WithValue(ctx, backendKey{}, in)))
		cancel()
	}
	code := strconv.Itoa(rec.code)
	p.reqs.WithLabelValues(code).Inc()
	p.latency.WithLabelValues(code).Observe(time.Since(start).Seconds())
}

// cause names why the proxy answered 502.
func cause(err error) string {
	switch {
	case errors.Is(err, errSaturated):
		return "saturated"
	case errors.Is(err, context.DeadlineExceeded):
		return "request timeout"
	}
	return "backend error"
}

func (p *Proxy) count(why string) {
	n, _ := p.why.LoadOrStore(why, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
}

// BadGateways returns the 502s answered so far by cause: "saturated" (an
// instance had no worker free in time), "request timeout", "no instance
// ready", "backend error" (a connection refused or reset).
func (p *Proxy) BadGateways() map[string]int64 {
	out := map[string]int64{}
	p.why.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.code, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}
