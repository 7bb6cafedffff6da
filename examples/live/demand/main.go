// Command demand stands in for your service in the quickstart: it serves
// Prometheus metrics as a web service under load does, a counter
// http_requests_total that grows by --rps requests every second. Change the
// load while it runs:
//
//	curl -d 120 http://127.0.0.1:8000/rps    # 120 requests per second from now on
//	curl http://127.0.0.1:8000/rps           # the current rate
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// load is the simulated traffic: a rate, and the requests counted so far.
type load struct {
	mu    sync.Mutex
	rps   float64
	total float64
	since time.Time
}

// count returns the requests served up to now.
func (l *load) count(now time.Time) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total += l.rps * now.Sub(l.since).Seconds()
	l.since = now
	return l.total
}

// set changes the rate from now on.
func (l *load) set(now time.Time, rps float64) {
	l.count(now)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rps = rps
}

func main() {
	addr := flag.String("listen", "127.0.0.1:8000", "where Prometheus scrapes /metrics")
	rps := flag.Float64("rps", 45, "requests per second to simulate")
	flag.Parse()
	if !(*rps >= 0) {
		log.Fatalf("demand: --rps %v: expected 0 or more requests per second", *rps)
	}
	l := &load{rps: *rps, since: time.Now()}

	http.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# HELP http_requests_total Requests served (simulated by the quickstart).\n"+
			"# TYPE http_requests_total counter\nhttp_requests_total %s\n", strconv.FormatFloat(l.count(time.Now()), 'f', 3, 64))
	})
	http.HandleFunc("/rps", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(io.LimitReader(r.Body, 64))
			v, err := strconv.ParseFloat(strings.TrimSpace(string(body)), 64)
			if err != nil || !(v >= 0) {
				http.Error(w, "expected a number of requests per second, such as 120", http.StatusBadRequest)
				return
			}
			l.set(time.Now(), v)
			log.Printf("demand: %v requests per second from now on", v)
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		fmt.Fprintln(w, l.rps)
	})
	log.Printf("demand: %v requests per second, metrics on http://%s/metrics", *rps, *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
