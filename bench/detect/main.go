// Command detect measures the detector's rules for issue 9's "Measured"
// section (figures in bench/README.md):
//
//   - the shipped example (proposed policy, guards off): when the cause
//     alert fires, when the first 502 comes, and when each rule set pages,
//     relative to error onset;
//   - normal traffic (the example's baseline policy on the real traces in
//     ../shared/data/traces), with and without 20 injected 30 s blips: the
//     symptom pages of each rule set, which should be 0;
//   - the same at SLO targets 99%, 99.5% and 99.9%, with 10 injected
//     10-minute bursts of 5–50% errors per trace: misses and detection
//     times per rule set.
//
// The tuned rule is tuned (detect/tune) on the example's day at each SLO,
// as `headroom detect tune` would, then measured on the traces.
//
//	go run ./bench/detect            # everything (about a minute on 2 cores)
//	go run ./bench/detect -traces="" # the example only
//
// The traces are read in place and never copied; without them the trace
// part is skipped with a message.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/detect"
	"github.com/headroomhq/headroom/detect/tune"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/sim"
	"github.com/headroomhq/headroom/traffic"
)

const example = "examples/bitbucket-2021-06-30/"

// The traces and the scale factors the earlier sessions used for the
// example's baseline (issues stops: "example baseline on NASA Jul ×40,
// WorldCup98 ×0.02, Wikipedia ×0.001 passes"); August as July.
var traces = []struct {
	file  string
	scale float64
}{
	{"nasa_http_jul1995_1min.csv", 40},
	{"nasa_http_aug1995_1min.csv", 40},
	{"worldcup98_1min.csv", 0.02},
	{"wikipedia_en_2012_1h.csv", 0.001},
}

func main() {
	dir := flag.String("traces", "../shared/data/traces", "the real traces' directory; empty to skip them")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "bench/detect:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	svc, err := policy.LoadService(example + "service.yaml")
	if err != nil {
		return err
	}
	base, err := policy.LoadPolicy(example + "baseline.yaml")
	if err != nil {
		return err
	}
	proposed, err := policy.LoadPolicy(example + "proposed.yaml")
	if err != nil {
		return err
	}
	day, _, err := traffic.ReadFile(example+"traffic.csv", traffic.Options{})
	if err != nil {
		return err
	}
	fmt.Printf("bench/detect — %s\n\n", time.Now().UTC().Format("2006-01-02"))
	slos := []float64{0.01, 0.005, 0.001}
	tuned := map[float64][]tune.Set{}
	for _, budget := range slos {
		s := withBudget(svc, budget)
		start := time.Now()
		res, err := tune.Run(tune.Options{Service: s, Policy: base, Traffic: []*headroom.Series{day}})
		if err != nil {
			return err
		}
		fmt.Printf("SLO %s: tuned on the example's day in %s — %s\n", slo(budget), time.Since(start).Round(time.Millisecond), res.Summary())
		if err := tune.WriteTable(os.Stdout, res.Rows); err != nil {
			return err
		}
		sets := []tune.Set{}
		if res.Rule.Long > 0 {
			sets = append(sets, tune.Set{Name: "tuned: " + tune.Describe(res.Rule), Rules: []detect.Rule{res.Rule}})
		}
		tuned[budget] = append(sets, tune.References(s.SLO.MaxLatency)...)
	}
	if err := incident(svc, proposed, day, tuned[svc.SLO.MaxErrorRatio]); err != nil {
		return err
	}
	if dir == "" {
		return nil
	}
	if _, err := os.Stat(dir); err != nil {
		fmt.Printf("\nReal traces: skipped — %s is absent (they sit beside the repository as ../shared/data/traces and are never copied into it).\n", dir)
		return nil
	}
	for _, budget := range slos {
		fmt.Printf("\nNormal traffic at SLO %s: baseline policy, 20 blips of 30 s and 10 bursts of 10 min (5–50%% errors) per trace, seed %d\n", slo(budget), tune.DefaultSeed)
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "trace\tdays\trule set\tpages normal\tpages blips\tbursts caught\tmissed\tdetect p50\tp95\tfalse on bursts run\ttime")
		for _, tr := range traces {
			path := filepath.Join(dir, tr.file)
			series, _, err := traffic.ReadFile(path, traffic.Options{})
			if err != nil {
				return err
			}
			traffic.Scale(series, tr.scale)
			start := time.Now()
			rows, _, err := tune.Evaluate(tune.Options{Service: withBudget(svc, budget), Policy: base, Traffic: []*headroom.Series{series}}, tuned[budget])
			if err != nil {
				return err
			}
			took := time.Since(start).Round(100 * time.Millisecond)
			for _, r := range rows {
				fmt.Fprintf(tw, "%s ×%v\t%.1f\t%s\t%d\t%d\t%d/%d\t%d\t%s\t%s\t%d\t%s\n", tr.file, tr.scale, float64(series.Seconds())/86400, r.Name,
					r.FalseNormal, r.FalseBlips, r.Caught, r.Bursts, r.Bursts-r.Caught, dur(r.DetectMedian, r.Caught), dur(r.DetectP95, r.Caught), r.FalseBursts, took)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// incident replays the seed incident (proposed policy, guards off) with
// every set's rules in one detector, and prints when each paged.
func incident(svc *headroom.Service, proposed *headroom.Policy, day *headroom.Series, sets []tune.Set) error {
	var rules []detect.Rule
	owner := map[string]string{}
	for _, s := range sets {
		for _, r := range s.Rules {
			r.Name = s.Name + "/" + r.Name
			owner[r.Name] = s.Name
			rules = append(rules, r)
		}
	}
	det := detect.ForService(svc)
	det.Rules = rules
	var first502 time.Time
	sink := sim.SinkFunc(func(s *headroom.Second) {
		if first502.IsZero() && s.Failed > 0 && s.Time.Hour() >= 16 {
			first502 = s.Time
		}
	})
	res, err := sim.Run(sim.Config{Service: svc, Policy: proposed, Traffic: day, Detect: &det}, sink)
	if err != nil {
		return err
	}
	fmt.Printf("\nThe shipped example, proposed policy, guards off (SLO %s): first 502 (error onset) at %s\n", slo(svc.SLO.MaxErrorRatio), first502.Format("15:04:05 UTC"))
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "signal\trule set\trule\tstarts\tafter onset\tends")
	var cause *headroom.Alert
	firsts := map[string]headroom.Alert{}
	for _, a := range res.Alerts {
		switch {
		case a.Signal == headroom.SignalCause && cause == nil:
			c := a
			cause = &c
		case a.Signal == headroom.SignalSymptom:
			if f, ok := firsts[owner[a.Rule]]; !ok || a.StartsAt.Before(f.StartsAt) {
				firsts[owner[a.Rule]] = a
			}
		}
	}
	if cause != nil {
		fmt.Fprintf(tw, "cause\t-\t%s\t%s\t%s\t%s\n", cause.Rule, cause.StartsAt.Format("15:04:05"), cause.StartsAt.Sub(first502), ends(*cause))
	}
	for _, s := range sets {
		a, ok := firsts[s.Name]
		if !ok {
			fmt.Fprintf(tw, "symptom\t%s\t-\tnever\t-\t-\n", s.Name)
			continue
		}
		fmt.Fprintf(tw, "symptom\t%s\t%s\t%s\t%s\t%s\n", s.Name, a.Rule[len(s.Name)+1:], a.StartsAt.Format("15:04:05"), a.StartsAt.Sub(first502), ends(a))
	}
	return tw.Flush()
}

func ends(a headroom.Alert) string {
	if a.EndsAt.IsZero() {
		return "still firing"
	}
	return a.EndsAt.Format("15:04:05")
}

func withBudget(svc *headroom.Service, budget float64) *headroom.Service {
	c := *svc
	c.SLO.MaxErrorRatio = budget
	c.Detection = slices.Clone(svc.Detection)
	return &c
}

func slo(budget float64) string { return fmt.Sprintf("%g%%", 100*(1-budget)) }

func dur(d time.Duration, n int) string {
	if n == 0 {
		return "-"
	}
	return tune.Dur(d.Round(time.Second))
}
