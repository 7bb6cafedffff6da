// Command recommend measures `headroom recommend` on train/hold-out splits:
// the shipped example's generated traffic, NASA Jul 1995 → Aug 1995 and
// WorldCup98 three weeks → the following week (the real traces are read
// in place from ../shared/data/traces; a case whose file is absent is
// skipped with a message). For each it prints the time, the process's peak
// RSS so far, the targets found and the comparison table on the held-out
// days: instance-hours, their ratio to the oracle, SLO violation seconds.
//
//	go run ./bench/recommend
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/synth"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/recommend"
	"github.com/headroomhq/headroom/traffic"
)

const example = "examples/bitbucket-2021-06-30/"

// current is the policy the traces are compared against: what a team
// without schedules runs, CPU target tracking at 60% with the HPA defaults.
const current = `apiVersion: headroom.dev/v1alpha1
kind: ScalingPolicy
metadata:
  name: plain-hpa
spec:
  minInstances: 2
  maxInstances: 300
  timeZone: %s
  targetTracking:
    metric: cpu
    target: 60
`

type split struct {
	name        string
	file        string
	scale       float64
	zone        string
	train, hold [2]string // [from, to) RFC 3339
	holdFile    string    // another file for the hold-out, when set
}

func main() {
	traces := flag.String("traces", "../shared/data/traces", "directory of the real traces")
	margin := flag.Float64("margin", recommend.DefaultMargin, "recommend's --margin")
	flag.Parse()
	if err := run(*traces, *margin); err != nil {
		fmt.Fprintln(os.Stderr, "bench/recommend:", err)
		os.Exit(1)
	}
}

func run(traces string, margin float64) error {
	svc, err := policy.LoadService(example + "service.yaml")
	if err != nil {
		return err
	}
	base, err := policy.LoadPolicy(example + "baseline.yaml")
	if err != nil {
		return err
	}
	// The example: its generator, 14 days to learn from, the next 7 to prove on.
	o := synth.Defaults()
	o.Start, o.Days = time.Date(2021, 6, 16, 0, 0, 0, 0, time.UTC), 21
	var b bytes.Buffer
	if err := synth.Write(&b, o); err != nil {
		return err
	}
	all, _, err := traffic.Read(&b, "example, 21 generated days", traffic.Options{})
	if err != nil {
		return err
	}
	train, hold := cut(all, all.Start, all.Start.AddDate(0, 0, 14)), cut(all, all.Start.AddDate(0, 0, 14), all.End())
	if err := one("example (generated, 15 s): 14 d → 7 d, CURRENT = baseline.yaml", svc, base, train, hold, margin); err != nil {
		return err
	}
	splits := []split{
		{name: "NASA Jul 1995 → Aug 1995 ×1000 (1 min)", file: "nasa_http_jul1995_1min.csv", holdFile: "nasa_http_aug1995_1min.csv", scale: 1000, zone: "America/New_York"},
		{name: "WorldCup98 3 weeks → the next week ×1 (1 min)", file: "worldcup98_1min.csv", scale: 1, zone: "Europe/Paris",
			train: [2]string{"1998-06-08T00:00:00Z", "1998-06-29T00:00:00Z"}, hold: [2]string{"1998-06-29T00:00:00Z", "1998-07-06T00:00:00Z"}},
		{name: "WorldCup98 May 3 weeks → the next week ×1 (1 min, before the tournament)", file: "worldcup98_1min.csv", scale: 1, zone: "Europe/Paris",
			train: [2]string{"1998-05-04T00:00:00Z", "1998-05-25T00:00:00Z"}, hold: [2]string{"1998-05-25T00:00:00Z", "1998-06-01T00:00:00Z"}},
	}
	for _, sp := range splits {
		s, err := read(traces, sp.file, sp.scale)
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Printf("\n%s: skipped, %s is not in %s\n", sp.name, sp.file, traces)
			continue
		}
		if err != nil {
			return err
		}
		cur, err := policy.ParsePolicy("current.yaml", []byte(fmt.Sprintf(current, sp.zone)))
		if err != nil {
			return err
		}
		var tr, ho *headroom.Series
		if sp.holdFile != "" {
			tr = s
			if ho, err = read(traces, sp.holdFile, sp.scale); err != nil {
				return err
			}
		} else {
			tr, ho = cut(s, parse(sp.train[0]), parse(sp.train[1])), cut(s, parse(sp.hold[0]), parse(sp.hold[1]))
		}
		if err := one(sp.name+", CURRENT = cpu 60%, min 2, max 300", svc, cur, tr, ho, margin); err != nil {
			return err
		}
	}
	return nil
}

func one(name string, svc *headroom.Service, cur *headroom.Policy, train, hold *headroom.Series, margin float64) error {
	start, cpu0 := time.Now(), cpuTime()
	r, err := recommend.Recommend(recommend.Options{Service: svc, Current: cur, Train: []*headroom.Series{train},
		Holdout: []*headroom.Series{hold}, Margin: margin})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	took, cpu := time.Since(start), cpuTime()-cpu0
	fmt.Printf("\n%s\n", name)
	fmt.Printf("  %.1f d learnt, %.1f d held out; %s wall, %s CPU (user + system), peak RSS so far %d MB; %d simulations, %d rounds; proof %s\n",
		r.TrainDays, r.HoldoutDays, took.Round(10*time.Millisecond), cpu.Round(10*time.Millisecond), peakRSS()>>20, r.Simulations, r.Rounds, r.Proof.Verdict)
	fmt.Printf("  floors pooled over %s, share %.0f%%\n", r.Pool, 100*r.FloorShare)
	for _, t := range r.Targets {
		fmt.Printf("  target %s %g → %g\n", t.Metric, t.Current, t.New)
	}
	for _, w := range r.Warnings {
		fmt.Printf("  warning: %s\n", w)
	}
	fmt.Printf("  | policy | instance-hours | vs oracle | vs hourly oracle | violation s | failed requests |\n  |---|---:|---:|---:|---:|---:|\n")
	for _, row := range r.Rows {
		fmt.Printf("  | %s | %.1f | %.3f | %.3f | %d | %.0f |\n", row.Name, row.InstanceHours, row.VsOracle, row.VsHourly, row.ViolationSeconds, row.FailedRequests)
	}
	return nil
}

func read(dir, file string, scale float64) (*headroom.Series, error) {
	s, _, err := traffic.ReadFile(filepath.Join(dir, file), traffic.Options{})
	if err != nil {
		return nil, err
	}
	traffic.Scale(s, scale)
	return s, nil
}

// cut returns the intervals of s in [from, to).
func cut(s *headroom.Series, from, to time.Time) *headroom.Series {
	i := max(0, int(from.Sub(s.Start)/s.Step))
	j := min(len(s.Counts), int(to.Sub(s.Start)/s.Step))
	c := *s
	c.Start = s.Start.Add(time.Duration(i) * s.Step)
	c.Counts = s.Counts[i:j]
	return &c
}

func parse(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// cpuTime is the process's CPU time so far, user and system: on a shared
// machine it moves less with the other tenants' load than the wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS is the process's peak resident set size, in bytes.
func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss << 10
}
