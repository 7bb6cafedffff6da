// Command statuswriter is the admin of bench/statuspage.sh's MODE=writes:
// it opens an incident on a running `headroom serve` and posts an update to
// it every -every (100 ms) until it is stopped (SIGINT or SIGTERM), then
// resolves the incident (the next measurement reads an operational page,
// not one more open incident each round) and prints how many updates it
// wrote and how long they took.
//
// It is one process holding one keep-alive connection, as an admin tool or
// an automation would: the script's earlier writer started a curl process
// per update, and on two shared CPUs ten process starts a second were
// themselves a CPU burst beside the server being measured.
//
//	statuswriter -url http://127.0.0.1:18080 -token hra_... [-every 100ms]
//
// With -read PATH it writes nothing and GETs PATH at the same pace instead:
// the control run of bench/statuspage.sh's MODE=rate, what a writer costs
// the readers when its request asks the server for next to nothing.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage/admin"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:18080", "base URL of headroom serve")
	token := flag.String("token", "", "admin token (headroom token create NAME)")
	every := flag.Duration("every", 100*time.Millisecond, "time between the starts of two updates")
	component := flag.String("component", "component-1-1", "component the incident degrades")
	read := flag.String("read", "", "GET this path every -every instead of writing (a control run)")
	flag.Parse()
	if (*token == "" && *read == "") || *every <= 0 {
		fmt.Fprintln(os.Stderr, "statuswriter: -token is required (unless -read) and -every must be positive\nTry: statuswriter -url http://127.0.0.1:18080 -token hra_... -every 100ms")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	w := &Writer{Client: &admin.Client{URL: *url, Token: *token, HTTP: &http.Client{Timeout: 10 * time.Second}},
		Every: *every, Component: *component, Out: os.Stderr}
	run := w.Run
	if *read != "" {
		run = func(ctx context.Context) (Summary, error) { return w.Read(ctx, *url+*read) }
	}
	sum, err := run(ctx)
	fmt.Fprintln(os.Stderr, sum)
	if err != nil {
		fmt.Fprintln(os.Stderr, "statuswriter:", err)
		os.Exit(1)
	}
}

// Writer posts incident updates at a steady rate through one admin client.
type Writer struct {
	Client *admin.Client
	// Every is the time between the starts of two updates. An update that
	// takes longer delays the next one; missed ticks are not caught up, as
	// a person or an automation would not post twice to catch up either.
	Every     time.Duration
	Component string
	// Out, when set, receives a line per failed update; the summary
	// counts them either way.
	Out io.Writer
}

// Summary is what a run wrote.
type Summary struct {
	// Updates counts the reads in a Read run (Reads set).
	Updates, Failed int
	Reads           bool
	Elapsed         time.Duration
	// Latencies of the updates that succeeded, in the order written.
	Latencies []time.Duration
}

func (s Summary) String() string {
	what := "updates"
	if s.Reads {
		what = "reads"
	}
	if len(s.Latencies) == 0 {
		return fmt.Sprintf("statuswriter: %d %s (%d failed) in %.1f s", s.Updates, what, s.Failed, s.Elapsed.Seconds())
	}
	l := slices.Sorted(slices.Values(s.Latencies))
	q := func(p float64) float64 { return float64(l[int(p*float64(len(l)-1))].Microseconds()) / 1000 }
	return fmt.Sprintf("statuswriter: %d %s (%d failed) in %.1f s, %.1f a second; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms",
		s.Updates, what, s.Failed, s.Elapsed.Seconds(), float64(s.Updates)/s.Elapsed.Seconds(), q(0.5), q(0.99), q(1))
}

// Run opens an incident, then posts an update to it every w.Every until ctx
// ends, and resolves it. Its error is the opening's or the resolving's; a
// failed update is counted and the run goes on.
func (w *Writer) Run(ctx context.Context) (Summary, error) {
	inc, err := w.Client.Open(ctx, admin.OpenRequest{Name: "Ongoing investigation", Body: "Investigating.",
		Components: map[string]incident.ComponentStatus{w.Component: incident.DegradedPerformance}})
	if err != nil {
		return Summary{}, fmt.Errorf("open the incident: %w", err)
	}
	sum := w.pace(ctx, func(ctx context.Context, n int) error {
		_, err := w.Client.Update(ctx, inc.ID, admin.UpdateRequest{Status: incident.Investigating,
			Body: fmt.Sprintf("Update %d: still investigating.", n)})
		return err
	})
	// Stopped: the resolve gets its own time.
	done, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := w.Client.Resolve(done, inc.ID, admin.ResolveRequest{Body: "Resolved."}); err != nil {
		return sum, fmt.Errorf("resolve the incident: %w", err)
	}
	return sum, nil
}

// Read GETs url every w.Every, through the same client, until ctx ends.
func (w *Writer) Read(ctx context.Context, url string) (Summary, error) {
	hc := w.Client.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	sum := w.pace(ctx, func(ctx context.Context, _ int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
		}
		return nil
	})
	sum.Reads = true
	return sum, nil
}

// pace calls do every w.Every until ctx ends, counting and timing the
// calls.
func (w *Writer) pace(ctx context.Context, do func(ctx context.Context, n int) error) Summary {
	var sum Summary
	start := time.Now()
	tick := time.NewTicker(w.Every)
	defer tick.Stop()
	for n := 1; ; n++ {
		t0 := time.Now()
		err := do(ctx, n)
		switch {
		case err == nil:
			sum.Updates++
			sum.Latencies = append(sum.Latencies, time.Since(t0))
		case ctx.Err() != nil:
			// Stopped while a request was on its way: not a failure.
		default:
			sum.Failed++
			if w.Out != nil {
				fmt.Fprintf(w.Out, "statuswriter: request %d: %v\n", n, err)
			}
		}
		select {
		case <-ctx.Done():
			sum.Elapsed = time.Since(start)
			return sum
		case <-tick.C:
		}
	}
}
