// Command checkbench measures headroom check end to end on a month of
// per-second traffic against the time to merely parse that traffic, in one
// run on one machine, and prints the figures bench/README.md records.
//
//	go run ./bench/checkbench            # 30 days, 2,592,000 rows
//	go run ./bench/checkbench -days 7
//
// It generates the traffic (internal/synth, 1-second rows), builds the
// headroom binary, then takes the best of -runs for: parsing the CSV
// in-process (traffic.ReadFile), and the binary's `check` of the example's
// proposed and baseline policies on it (parse + two simulations + reports),
// with the child's peak resident memory and CPU time from rusage.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/headroomhq/headroom/internal/synth"
	"github.com/headroomhq/headroom/traffic"
)

func main() {
	days := flag.Int("days", 30, "days of per-second traffic")
	runs := flag.Int("runs", 3, "runs of each measurement; the best is kept")
	keep := flag.Bool("keep", false, "keep the traffic, the binary and the report, and say where (to profile the check)")
	flag.Parse()
	if err := run(*days, *runs, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "checkbench:", err)
		os.Exit(1)
	}
}

func run(days, runs int, keep bool) error {
	dir, err := os.MkdirTemp("", "checkbench-")
	if err != nil {
		return err
	}
	if keep {
		defer fmt.Printf("kept in:              %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	csv := filepath.Join(dir, "traffic.csv")
	o := synth.Defaults()
	o.Days, o.Step = days, time.Second
	f, err := os.Create(csv)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "generating %d days of per-second traffic...\n", days)
	if err := synth.Write(f, o); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	st, _ := os.Stat(csv)
	bin := filepath.Join(dir, "headroom")
	build := exec.Command("go", "build", "-o", bin, "./cmd/headroom")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}

	var parse time.Duration
	rows := 0
	for i := 0; i < runs; i++ {
		runtime.GC()
		t := time.Now()
		s, _, err := traffic.ReadFile(csv, traffic.Options{})
		d := time.Since(t)
		if err != nil {
			return err
		}
		rows = len(s.Counts)
		if parse == 0 || d < parse {
			parse = d
		}
	}

	ex := "examples/bitbucket-2021-06-30/"
	var check, cpu time.Duration
	var rss int64
	for i := 0; i < runs; i++ {
		cmd := exec.Command(bin, "check", "--service", ex+"service.yaml", "--proposed", ex+"proposed.yaml",
			"--baseline", ex+"baseline.yaml", "--traffic", csv, "--format", "json", "-o", filepath.Join(dir, "out.json"))
		t := time.Now()
		err := cmd.Run()
		d := time.Since(t)
		if code := cmd.ProcessState.ExitCode(); code != 0 && code != 1 {
			return fmt.Errorf("check exited %d: %v", code, err)
		}
		if check == 0 || d < check {
			check = d
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = max(rss, ru.Maxrss*1024)
		}
		// CPU time (user + system, every thread) moves less than wall
		// time with the machine's load: the least over the runs.
		if c := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(); cpu == 0 || c < cpu {
			cpu = c
		}
	}
	mb := float64(st.Size()) / 1e6
	steps := float64(2 * rows) // two policies, one step per second
	sim := check - parse
	fmt.Printf("traffic:              %d rows (%d days at 1s), %.1f MB\n", rows, days, mb)
	fmt.Printf("parse (in-process):   %v  = %.0f MB/s, %.1f M rows/s\n", parse.Round(time.Millisecond), mb/parse.Seconds(), float64(rows)/parse.Seconds()/1e6)
	fmt.Printf("check (binary, 2 policies, parse included): %v\n", check.Round(time.Millisecond))
	fmt.Printf("ratio check/parse:    %.2f   (target <= 2)\n", check.Seconds()/parse.Seconds())
	fmt.Printf("simulation (check - parse): %v for %.1f M steps = %.1f M steps/s on %d cores\n", sim.Round(time.Millisecond), steps/1e6, steps/sim.Seconds()/1e6, runtime.NumCPU())
	fmt.Printf("CPU time of check:    %v (user + system, least of the runs)\n", cpu.Round(time.Millisecond))
	fmt.Printf("peak RSS of check:    %.0f MB   (target <= 200)\n", float64(rss)/1e6)
	return nil
}
