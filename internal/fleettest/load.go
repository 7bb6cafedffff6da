package fleettest

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Load is an open-loop load generator: requests start at Poisson arrival
// times whatever the answers, as users' do.
type Load struct {
	mu     sync.Mutex
	codes  map[int]int
	errs   int
	failed []time.Time // when each 502 came back
	sent   int
	wg     sync.WaitGroup
	done   chan struct{}
}

// StartLoad sends GET requests to url from now until ctx ends, at rate(now)
// requests a second (Poisson arrivals from seed). A rate of zero or less
// sends nothing for a moment.
func StartLoad(ctx context.Context, url string, rate func(time.Time) float64, seed uint64) *Load {
	l := &Load{codes: map[int]int{}, done: make(chan struct{})}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024}}
	go func() {
		l.run(ctx, client, url, rate, seed)
		l.wg.Wait()
		client.CloseIdleConnections()
		close(l.done)
	}()
	return l
}

// Wait returns once the load has stopped and every request was answered.
func (l *Load) Wait() { <-l.done }

func (l *Load) run(ctx context.Context, client *http.Client, url string, rate func(time.Time) float64, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	next := time.Now()
	for {
		r := rate(next)
		if r <= 0 {
			next = next.Add(10 * time.Millisecond)
		} else {
			// Arrivals are scheduled on their own clock: a late wake-up
			// sends the requests due at once, so the mean rate holds on
			// a loaded machine.
			next = next.Add(time.Duration(rng.ExpFloat64() / r * float64(time.Second)))
		}
		if d := time.Until(next); d > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		} else if ctx.Err() != nil {
			return
		}
		if r <= 0 {
			continue
		}
		l.mu.Lock()
		l.sent++
		l.mu.Unlock()
		l.wg.Go(func() { l.one(client, url) })
	}
}

func (l *Load) one(client *http.Client, url string) {
	resp, err := client.Get(url)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err != nil:
		l.errs++
	default:
		l.codes[resp.StatusCode]++
		if resp.StatusCode == http.StatusBadGateway {
			l.failed = append(l.failed, now)
		}
	}
}

// Sent is the number of requests sent.
func (l *Load) Sent() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sent
}

// Errors is the number of requests that got no answer (refused, reset,
// timed out on the client's side).
func (l *Load) Errors() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.errs
}

// Codes returns the answers by status code.
func (l *Load) Codes() map[int]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[int]int, len(l.codes))
	for k, v := range l.codes {
		out[k] = v
	}
	return out
}

// BadGateways returns when each 502 came back, in time order.
func (l *Load) BadGateways() []time.Time {
	l.mu.Lock()
	out := append([]time.Time(nil), l.failed...)
	l.mu.Unlock()
	slices.SortFunc(out, time.Time.Compare)
	return out
}
