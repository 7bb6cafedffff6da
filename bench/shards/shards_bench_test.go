//go:build linux

package shards

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/detect"
	"github.com/headroomhq/headroom/internal/pgtest"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/sim"
	"github.com/headroomhq/headroom/store/postgres"
	"github.com/jackc/pgx/v5"
)

// The benchmark's knobs. Replicas take them from the environment (envSpec).
var (
	flagTargets  = flag.Int("shards.targets", 100000, "targets, all in every replica's config")
	flagReplicas = flag.Int("shards.replicas", 4, "replica processes")
	flagCount    = flag.Int("shards.count", controller.DefaultShards, "shards")
	flagInterval = flag.Duration("shards.interval", controller.DefaultInterval, "loop interval")
	flagTTL      = flag.Duration("shards.ttl", 3*controller.DefaultInterval, "shard lease duration (serve's default: 3 loops)")
	flagLoops    = flag.Int("shards.loops", 4, "steady loops measured, after every replica's first two")
	flagDetect   = flag.Bool("shards.detect", true, "run the service's detector on every target, as serve does")
	flagSync     = flag.Bool("shards.sync", true, "PostgreSQL's synchronous_commit (false: a commit does not wait for its WAL flush, what a loop's writes cost without the disk)")
)

// spec is what a replica runs.
type spec struct {
	DB       string
	Holder   string
	Targets  int
	Count    int
	Interval time.Duration
	TTL      time.Duration
	Detect   bool
}

const envSpec = "HEADROOM_BENCH_SHARDS_REPLICA"

// TestMain runs a replica when the environment says so, the benchmark
// otherwise; the benchmark's PostgreSQL is its own (pgtest.Start).
func TestMain(m *testing.M) {
	if s := os.Getenv(envSpec); s != "" {
		var sp spec
		if err := json.Unmarshal([]byte(s), &sp); err != nil {
			fmt.Fprintln(os.Stderr, "replica spec:", err)
			os.Exit(2)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := replica(ctx, sp, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "replica:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(pgtest.Main(m))
}

// fleet is an in-process actuator: the benchmark measures the loop and the
// store, not a platform. started is when the loop last read the count: the
// start of the target's iteration.
type fleet struct {
	mu      sync.Mutex
	n       int
	started time.Time
}

func (f *fleet) Capacity(context.Context) (headroom.Capacity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = time.Now()
	return headroom.Capacity{Ready: f.n}, nil
}

func (f *fleet) Scale(_ context.Context, desired int, _ headroom.Reason) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n = desired
	return nil
}

// demand is a source of demand and health without cpu: the controller
// derives cpu from it and the count, as serve does for a target with a
// service.
type demand float64

func (d demand) Observe(_ context.Context, now time.Time) (headroom.Observation, error) {
	return headroom.Observation{Time: now.Add(-15 * time.Second), Demand: float64(d), HasDemand: true, HasHealth: true}, nil
}

// loopStat is one replica's loop, as it prints it.
type loopStat struct {
	// At is when the loop's last record was stored (Unix ms).
	At      int64 `json:"at"`
	Targets int   `json:"targets"`
	// Owned is how many targets the replica's shards held when the loop
	// was printed: Targets falls short of it when a loop outlasts 90%
	// of the lease, where the replica stops acting.
	Owned  int     `json:"owned"`
	WallMS float64 `json:"wallMs"`
	P99MS  float64 `json:"p99Ms"`
	Errors int     `json:"errors"`
}

// meter groups the records by loop (the loop time every record of a Step
// shares) and prints a loop once no record joined it for a while.
type meter struct {
	fleets map[string]*fleet
	shards *controller.Shards
	out    io.Writer
	mu     sync.Mutex
	loops  map[time.Time]*loopAcc
}

type loopAcc struct {
	first, last time.Time
	lats        []time.Duration
	errors      int
}

// timed is the journal the replica's controller writes through: each
// record's Append is timed from its target's capacity read.
type timed struct {
	headroom.Journal
	m *meter
}

func (j timed) Fenced(f headroom.Fence) headroom.Journal {
	return timed{Journal: j.Journal.Fenced(f), m: j.m}
}

func (j timed) Append(ctx context.Context, r headroom.DecisionRecord) error {
	err := j.Journal.Append(ctx, r)
	end := time.Now()
	f := j.m.fleets[r.Target]
	f.mu.Lock()
	start := f.started
	f.mu.Unlock()
	j.m.mu.Lock()
	defer j.m.mu.Unlock()
	l := j.m.loops[r.Time]
	if l == nil {
		l = &loopAcc{first: start}
		j.m.loops[r.Time] = l
	}
	if start.Before(l.first) {
		l.first = start
	}
	if end.After(l.last) {
		l.last = end
	}
	l.lats = append(l.lats, end.Sub(start))
	if err != nil || r.Error != "" {
		l.errors++
	}
	return err
}

// flush prints the loops no record joined for quiet.
func (m *meter) flush(quiet time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	enc := json.NewEncoder(m.out)
	for at, l := range m.loops {
		if time.Since(l.last) < quiet {
			continue
		}
		delete(m.loops, at)
		slices.Sort(l.lats)
		held := map[int]bool{}
		for _, n := range m.shards.Held() {
			held[n] = true
		}
		owned := 0
		for name := range m.fleets {
			if held[controller.ShardOf(name, m.shards.Count)] {
				owned++
			}
		}
		enc.Encode(loopStat{At: l.last.UnixMilli(), Targets: len(l.lats), Owned: owned, WallMS: ms(l.last.Sub(l.first)),
			P99MS: ms(l.lats[len(l.lats)*99/100]), Errors: l.errors})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// replica is one serve process's controller on sp.Targets targets, sharded.
func replica(ctx context.Context, sp spec, out io.Writer) error {
	svc, err := policy.LoadService("../../examples/bitbucket-2021-06-30/service.yaml")
	if err != nil {
		return err
	}
	prop, err := policy.LoadPolicy("../../examples/bitbucket-2021-06-30/proposed.yaml")
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, sp.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	guards := headroom.DefaultGuards(svc, prop, 0.1)
	det := detect.ForService(svc)
	model := sim.NewModel(svc)
	needed := func(d float64) int { return model.Required(d, svc.SLO.MaxLatency) }
	m := &meter{fleets: map[string]*fleet{}, out: out, loops: map[time.Time]*loopAcc{}}
	targets := make([]*controller.Target, sp.Targets)
	for i := range targets {
		name := fmt.Sprintf("svc-%06d", i)
		m.fleets[name] = &fleet{n: 20 + i%50}
		t := &controller.Target{Name: name, Mode: headroom.ModeEnforce, Policy: prop, Guards: guards,
			Source: demand(1000 + i%3000), Actuator: m.fleets[name], CapacityPerInstance: svc.CapacityPerInstance}
		if sp.Detect {
			d := det
			d.Target = name
			t.Detect, t.Needed = &d, needed
		}
		targets[i] = t
	}
	c := controller.New(timed{Journal: db, m: m}, targets...)
	c.Interval = sp.Interval
	c.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c.Shards = controller.NewShards(db, sp.Holder, sp.Count, sp.TTL)
	m.shards = c.Shards
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				m.flush(2 * time.Second)
			}
		}
	}()
	err = c.Run(ctx)
	close(done)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// running is a replica process seen from the benchmark.
type running struct {
	holder string
	cmd    *exec.Cmd
	mu     sync.Mutex
	loops  []loopStat
	done   chan struct{}
}

func (r *running) stats() []loopStat {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.loops)
}

func start(b *testing.B, sp spec, logDir string) *running {
	b.Helper()
	raw, _ := json.Marshal(sp)
	cmd := exec.Command(os.Args[0], "-test.run=XXX")
	cmd.Env = append(os.Environ(), envSpec+"="+string(raw))
	errLog, err := os.Create(filepath.Join(logDir, sp.Holder+".log"))
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = errLog
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	r := &running{holder: sp.Holder, cmd: cmd, done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var l loopStat
			if json.Unmarshal(sc.Bytes(), &l) == nil {
				r.mu.Lock()
				r.loops = append(r.loops, l)
				r.mu.Unlock()
			}
		}
		cmd.Wait()
		errLog.Close()
		close(r.done)
	}()
	b.Cleanup(func() { cmd.Process.Signal(syscall.SIGKILL); <-r.done })
	return r
}

// cpu returns the CPU time (user + system) pid used; with children, also
// that of its reaped children and of its live children.
func cpu(pid int, children bool) time.Duration {
	f := procStat(pid)
	if len(f) < 17 {
		return 0
	}
	ticks := atoi(f[13]) + atoi(f[14])
	if children {
		ticks += atoi(f[15]) + atoi(f[16])
		for _, child := range childrenOf(pid) {
			if g := procStat(child); len(g) > 14 {
				ticks += atoi(g[13]) + atoi(g[14])
			}
		}
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

// procStat returns /proc/pid/stat's fields after the command name.
func procStat(pid int) []string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	// Fields are numbered from 1 (pid) in proc(5); after ")" comes field
	// 3, so field k is at index k-1 of this slice padded with two.
	return append([]string{"pid", "comm"}, strings.Fields(s[i+1:])...)
}

func atoi(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }

func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f := procStat(p); len(f) > 3 && atoi(f[3]) == int64(pid) {
			out = append(out, p)
		}
	}
	return out
}

// postmaster is the PostgreSQL server this process started.
func postmaster() int {
	for _, p := range childrenOf(os.Getpid()) {
		if data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", p)); strings.TrimSpace(string(data)) == "postgres" {
			return p
		}
	}
	return 0
}

func rssMB(pid int) float64 {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			return float64(atoi(f[1])) / 1024
		}
	}
	return 0
}

// BenchmarkShards100k runs the replicas, waits until each has run two
// loops (the first starts every target's engine state), measures the next
// -shards.loops loops, then kills one replica with SIGKILL and times how
// long the others take to lease all its shards, and the loop that takes
// its targets on.
func BenchmarkShards100k(b *testing.B) {
	if b.N > 1 {
		b.Skip("one run is the benchmark: -benchtime 1x")
	}
	srv := pgtest.Start(b)
	if !*flagSync {
		conn, err := pgx.Connect(b.Context(), srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		for _, q := range []string{"ALTER SYSTEM SET synchronous_commit = off", "SELECT pg_reload_conf()"} {
			if _, err := conn.Exec(b.Context(), q); err != nil {
				b.Fatal(err)
			}
		}
		conn.Close(b.Context())
	}
	url := srv.NewDatabase(b)
	// Migrated once before the replicas open it.
	db, err := postgres.Open(b.Context(), url)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	pm := postmaster()
	if pm == 0 {
		b.Fatal("the PostgreSQL server's process not found among this process's children")
	}
	logDir := b.TempDir()
	var reps []*running
	for i := range *flagReplicas {
		reps = append(reps, start(b, spec{DB: url, Holder: fmt.Sprintf("replica-%d", i), Targets: *flagTargets, Count: *flagCount,
			Interval: *flagInterval, TTL: *flagTTL, Detect: *flagDetect}, logDir))
	}
	logs := func() string {
		var s strings.Builder
		for _, r := range reps {
			data, _ := os.ReadFile(filepath.Join(logDir, r.holder+".log"))
			fmt.Fprintf(&s, "--- %s\n%s", r.holder, data)
		}
		return s.String()
	}
	waitLoops := func(n int, timeout time.Duration, of ...*running) {
		deadline := time.Now().Add(timeout)
		for {
			ok := true
			for _, r := range of {
				if len(r.stats()) < n {
					ok = false
				}
			}
			if ok {
				return
			}
			if time.Now().After(deadline) {
				b.Fatalf("replicas did not run %d loops within %s\n%s", n, timeout, logs())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	began := time.Now()
	waitLoops(2, 10*time.Minute, reps...)
	fmt.Printf("start-up: every replica ran 2 loops after %s\n", time.Since(began).Round(time.Second))

	// The steady window.
	cpu0 := make([]time.Duration, len(reps))
	for i, r := range reps {
		cpu0[i] = cpu(r.cmd.Process.Pid, false)
	}
	pg0, t0 := cpu(pm, true), time.Now()
	wal0 := walStats(b, url)
	n0 := make([]int, len(reps))
	for i, r := range reps {
		n0[i] = len(r.stats())
	}
	waitLoops(2+*flagLoops+1, time.Duration(*flagLoops+3)**flagInterval+5*time.Minute, reps...)
	window := time.Since(t0)
	pgCPU := cpu(pm, true) - pg0
	wal1 := walStats(b, url)
	fmt.Printf("\n%d targets, %d replicas, %d shards, loop every %s, lease %s, synchronous_commit %v, detector %v; steady window %s\n",
		*flagTargets, len(reps), *flagCount, *flagInterval, *flagTTL, *flagSync, *flagDetect, window.Round(time.Second))
	fmt.Printf("%-10s %14s %6s %9s %10s %-30s %-24s %6s %7s\n", "replica", "stepped/owned", "loops", "cpu%core", "targets/s", "loop wall s", "p99 ms", "errors", "RSS MB")
	var total float64
	for i, r := range reps {
		share := 100 * (cpu(r.cmd.Process.Pid, false) - cpu0[i]).Seconds() / window.Seconds()
		total += share
		var walls, p99s []string
		targets, owned, errs := 0, 0, 0
		var rate float64
		for _, l := range r.stats()[n0[i]:] {
			walls = append(walls, fmt.Sprintf("%.1f", l.WallMS/1000))
			p99s = append(p99s, fmt.Sprintf("%.0f", l.P99MS))
			targets, owned, errs = l.Targets, l.Owned, errs+l.Errors
			rate = float64(l.Targets) / (l.WallMS / 1000)
		}
		fmt.Printf("%-10s %14s %6d %9.1f %10.0f %-30s %-24s %6d %7.0f\n", r.holder, fmt.Sprintf("%d/%d", targets, owned), len(walls), share,
			rate, strings.Join(walls, "/"), strings.Join(p99s, "/"), errs, rssMB(r.cmd.Process.Pid))
		b.ReportMetric(share, fmt.Sprintf("%%core-%s", r.holder))
	}
	fmt.Printf("replicas together: %.1f%% of a core; PostgreSQL: %.1f%% of a core\n", total, 100*pgCPU.Seconds()/window.Seconds())
	stepped := 0
	for i, r := range reps {
		for _, l := range r.stats()[n0[i]:] {
			stepped += l.Targets
		}
	}
	commits, walBytes := float64(wal1.commits-wal0.commits), float64(wal1.lsn-wal0.lsn)
	fmt.Printf("PostgreSQL: %.0f commits/s, %.1f MB/s of WAL; per target iteration (%d in the window's loops): %.2f commits, %.1f KB of WAL, %.2f ms of its CPU, %.2f ms of a replica's\n",
		commits/window.Seconds(), walBytes/window.Seconds()/1e6, stepped, commits/float64(stepped), walBytes/float64(stepped)/1e3,
		1000*pgCPU.Seconds()/float64(stepped), 1000*total/100*window.Seconds()/float64(stepped))
	b.ReportMetric(100*pgCPU.Seconds()/window.Seconds(), "%core-postgres")

	// kill -9 of the first replica: how long until the others hold all
	// its shards, and their next loop.
	victim := reps[0]
	var before []int
	for _, r := range reps[1:] {
		before = append(before, len(r.stats()))
	}
	killed := time.Now()
	victim.cmd.Process.Signal(syscall.SIGKILL)
	<-victim.done
	deadline := killed.Add(*flagTTL + 3**flagInterval)
	var took time.Duration
	for took == 0 {
		if time.Now().After(deadline) {
			b.Fatalf("%s's shards not taken over within %s\n%s", victim.holder, *flagTTL+3**flagInterval, logs())
		}
		time.Sleep(100 * time.Millisecond)
		held, err := db.List(b.Context(), "shard/")
		if err != nil {
			b.Fatal(err)
		}
		if len(held) == *flagCount && !slices.ContainsFunc(held, func(l headroom.Lease) bool { return l.Holder == victim.holder }) {
			took = time.Since(killed)
		}
	}
	fmt.Printf("\nkill -9 of %s: its shards leased by the others %.1f s later (lease %s, loop %s)\n", victim.holder, took.Seconds(), *flagTTL, *flagInterval)
	b.ReportMetric(took.Seconds(), "takeover-s")
	// The loop after the takeover: the others' first with the new targets.
	for i, r := range reps[1:] {
		deadline := time.Now().Add(*flagInterval + 5*time.Minute)
		for {
			var after []loopStat
			for _, l := range r.stats()[before[i]:] {
				if time.UnixMilli(l.At).After(killed.Add(took)) {
					after = append(after, l)
				}
			}
			if len(after) > 0 {
				l := after[0]
				fmt.Printf("%s: first loop after the takeover: %d targets, wall %.1f s, p99 %.0f ms, done %.1f s after the kill\n",
					r.holder, l.Targets, l.WallMS/1000, l.P99MS, time.UnixMilli(l.At).Sub(killed).Seconds())
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%s: no loop after the takeover\n%s", r.holder, logs())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// wal is PostgreSQL's count of commits in the benchmark's database and its
// WAL position.
type wal struct{ commits, lsn int64 }

func walStats(b *testing.B, url string) wal {
	b.Helper()
	conn, err := pgx.Connect(b.Context(), url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(b.Context())
	var w wal
	if err := conn.QueryRow(b.Context(), `SELECT xact_commit, (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint FROM pg_stat_database WHERE datname = current_database()`).Scan(&w.commits, &w.lsn); err != nil {
		b.Fatal(err)
	}
	return w
}
