// Command model holds the simulator's service model (sim.Model) against a
// real service on loopback: instances with a bounded pool of workers whose
// handler sleeps a known service time, behind a proxy with one queue and a
// timeout (internal/loadtest), loaded by an open-loop Poisson generator at
// utilisations from 0.3 to 1.5 with 1 to 16 instances. For each level it
// prints what was measured (error ratio, mean and p99 latency of the
// successes) beside what the model predicts for the same capacity, base
// latency and timeout, fed the same per-second arrival counts.
//
//	go run ./bench/model                 # the full grid, about 5 minutes
//	go run ./bench/model -quick          # 3 levels × 2 instance counts
//
// Its figures are in bench/README.md and docs/ARCHITECTURE.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/loadtest"
	"github.com/headroomhq/headroom/sim"
)

// Defaults of the experiment: 2 workers of 40 ms (50 requests/s an
// instance), a 400 ms queue timeout, 6 s a level.
const (
	defaultWorkers      = 2
	defaultService      = 40 * time.Millisecond
	defaultQueueTimeout = 400 * time.Millisecond
	defaultDuration     = 6 * time.Second
)

// Level is one point of the grid.
type Level struct {
	Instances   int
	Utilization float64
}

// Row is one level measured and predicted.
type Row struct {
	Level
	Rate               float64 // offered requests/s
	Seconds            int     // the level's length, whole seconds
	Measured, Modelled Figures
	CPU                float64 // cores used by the whole process
	// Hold is the effective service time the proxy measured at this
	// level (a worker held, the hop to the instance included).
	Hold time.Duration
}

// Figures are what users saw at one level.
type Figures struct {
	ErrorRatio float64
	// Mean and P99 are the successes' response times; WaitP99 the p99
	// of their wait for a worker; seconds.
	Mean, P99, WaitP99 float64
}

// Experiment is the fixed part of every level.
type Experiment struct {
	Workers      int
	Service      time.Duration
	Constant     bool
	QueueTimeout time.Duration
	Duration     time.Duration
	// MinRequests lengthens a level of low rate.
	MinRequests int
	Seed        uint64
}

// headroomService is the service file that describes the real service with
// service time base: each instance serves Workers/base requests/s, its base
// latency is base, and the model's timeout bounds the wait to start
// (timeout − base latency), which is the proxy's queue timeout.
func (e Experiment) headroomService(base time.Duration) *headroom.Service {
	return &headroom.Service{Name: "loopback",
		CapacityPerInstance: float64(e.Workers) / base.Seconds(),
		BaseLatency:         base, RequestTimeout: base + e.QueueTimeout}
}

// Run measures one level on the real service and predicts it with the
// model over the same seconds. The model's service time is calibrated on
// the level itself: the mean time a request held a worker, as the proxy
// measured it (the hop to the instance and the timer's lateness included),
// what a real calibration reads from busy time over requests. On this
// shared machine it moves between levels by ±10%, which a fixed figure
// would charge to the model.
func (e Experiment) Run(ctx context.Context, l Level) (*Row, error) {
	run, err := loadtest.Start(loadtest.Service{Instances: l.Instances, Workers: e.Workers, Service: e.Service,
		Constant: e.Constant, QueueTimeout: e.QueueTimeout})
	if err != nil {
		return nil, err
	}
	defer run.Close()
	rate := l.Utilization * float64(l.Instances) * float64(e.Workers) / e.Service.Seconds()
	// Long enough for MinRequests, in whole seconds: a p99 needs a few
	// hundred samples.
	d := max(e.Duration, time.Duration(math.Ceil(float64(e.MinRequests)/rate))*time.Second)
	res, err := loadtest.Load(ctx, run.URL, rate, d, e.Seed+uint64(l.Instances)*1000+uint64(l.Utilization*100))
	if err != nil {
		return nil, err
	}
	calibrated := run.MeanHold()
	if calibrated <= 0 {
		calibrated = e.Service
	}
	row := &Row{Level: l, Rate: rate, Seconds: len(res.PerSecond), Hold: run.MeanHold(),
		Measured: Figures{ErrorRatio: res.ErrorRatio(), Mean: res.Mean(), P99: loadtest.Quantile(res.Latencies, 0.99),
			WaitP99: loadtest.Quantile(res.Waits, 0.99)},
		Modelled: Predict(e.headroomService(calibrated), rate, len(res.PerSecond), l.Instances),
		CPU:      res.CPU.Seconds() / res.Wall.Seconds()}
	return row, nil
}

// Predict runs a fresh sim.Model for the level's seconds at its rate on a
// fixed number of ready instances, as check replays a traffic file's step;
// the p99s come from the mixture of the seconds' latency distributions, as
// check judges an SLO window. (Fed the seconds' Poisson counts instead, a
// second whose count reaches the capacity is judged as if it lasted.)
func Predict(svc *headroom.Service, rate float64, seconds, ready int) Figures {
	m := sim.NewModel(svc)
	var requests, failed, latencySum float64
	var all sim.Mixture
	for range seconds {
		n := rate
		o := m.Serve(n, ready)
		requests += n
		failed += o.Failed
		s := max(0, n-o.Failed)
		latencySum += s * o.Latency.Seconds()
		all.Add(o.Latencies, s)
	}
	f := Figures{Mean: math.NaN(), P99: math.NaN(), WaitP99: math.NaN()}
	if requests > 0 {
		f.ErrorRatio = failed / requests
	}
	if served := all.Served(); served > 0 {
		f.Mean = latencySum / served
		f.P99 = all.Quantile(0.99).Seconds()
		f.WaitP99 = f.P99 - svc.BaseLatency.Seconds()
	}
	return f
}

func main() {
	var e Experiment
	quick := flag.Bool("quick", false, "3 utilisations × 2 instance counts (the CI test's levels)")
	instances := flag.String("instances", "1,2,4,8,16", "instance counts")
	levels := flag.String("utilization", "0.3,0.5,0.7,0.9,1,1.1,1.5", "utilisations (offered / capacity)")
	flag.IntVar(&e.Workers, "workers", defaultWorkers, "workers per instance")
	flag.DurationVar(&e.Service, "service", defaultService, "mean service time")
	flag.BoolVar(&e.Constant, "constant", false, "constant service time (M/D/c) instead of exponential")
	flag.DurationVar(&e.QueueTimeout, "queue-timeout", defaultQueueTimeout, "how long a request may wait for a worker")
	flag.DurationVar(&e.Duration, "duration", defaultDuration, "time at each level")
	flag.IntVar(&e.MinRequests, "min-requests", 400, "the fewest requests a level sends (a light level runs longer)")
	flag.Uint64Var(&e.Seed, "seed", 1, "arrival seed")
	flag.Parse()
	if *quick {
		*instances, *levels = "1,4", "0.5,0.9,1.5"
	}
	ns, err := parseList(*instances, strconv.Atoi)
	if err == nil {
		_, err = parseList(*levels, func(s string) (float64, error) { return strconv.ParseFloat(s, 64) })
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "model:", err)
		os.Exit(2)
	}
	us, _ := parseList(*levels, func(s string) (float64, error) { return strconv.ParseFloat(s, 64) })
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	dist := "exponential"
	if e.Constant {
		dist = "constant"
	}
	fmt.Printf("service: %d workers × %s (%s), %.0f req/s an instance nominal; queue timeout %s; %s a level\n",
		e.Workers, e.Service, dist, e.headroomService(e.Service).CapacityPerInstance, e.QueueTimeout, e.Duration)
	fmt.Printf("model calibrated per level: its service time is the level's mean worker hold (the hop to the instance included)\n\n")
	fmt.Println("| inst | util | req/s | hold | errors real | errors model | mean real | mean model | mean err | p99 real | p99 model | p99 err | wait p99 real | wait p99 model | CPU |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, n := range ns {
		for _, u := range us {
			row, err := e.Run(ctx, Level{Instances: n, Utilization: u})
			if err != nil {
				fmt.Fprintln(os.Stderr, "model:", err)
				os.Exit(1)
			}
			m, p := row.Measured, row.Modelled
			fmt.Printf("| %d | %.2f | %.0f | %.1f ms | %.4f | %.4f | %.1f ms | %.1f ms | %s | %.1f ms | %.1f ms | %s | %.1f ms | %.1f ms | %.2f |\n",
				n, u, row.Rate, ms(row.Hold.Seconds()), m.ErrorRatio, p.ErrorRatio, ms(m.Mean), ms(p.Mean), relative(p.Mean, m.Mean),
				ms(m.P99), ms(p.P99), relative(p.P99, m.P99), ms(m.WaitP99), ms(p.WaitP99), row.CPU)
		}
	}
}

func ms(s float64) float64 { return 1000 * s }

// relative formats (model − real) / real.
func relative(model, real float64) string {
	if !(real > 0) || math.IsNaN(model) {
		return "–"
	}
	return fmt.Sprintf("%+.0f%%", 100*(model-real)/real)
}

func parseList[T any](s string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for _, f := range strings.Split(s, ",") {
		v, err := parse(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("list %q: %w", s, err)
		}
		out = append(out, v)
	}
	return out, nil
}
