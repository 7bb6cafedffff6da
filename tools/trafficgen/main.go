// Command trafficgen writes the synthetic traffic of package
// internal/synth: a realistic day of a busy, global website. The shipped
// example's traffic.csv is its output with the default flags:
//
//	go run ./tools/trafficgen -o examples/bitbucket-2021-06-30/traffic.csv
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/headroomhq/headroom/internal/synth"
)

func main() {
	d := synth.Defaults()
	var (
		date = flag.String("date", d.Start.Format("2006-01-02"), "the first day to generate, UTC")
		o    = flag.String("o", "-", "output file, - for stdout")
	)
	flag.IntVar(&d.Days, "days", d.Days, "number of days")
	flag.Float64Var(&d.Peak, "peak", d.Peak, "requests per second at the height of the day")
	flag.Float64Var(&d.Floor, "floor", d.Floor, "machine traffic, as a fraction of the peak, present all day")
	flag.DurationVar(&d.Step, "step", d.Step, "interval of each row")
	flag.Uint64Var(&d.Seed, "seed", d.Seed, "random seed")
	flag.Parse()
	start, err := time.Parse("2006-01-02", *date)
	if err != nil {
		fmt.Fprintf(os.Stderr, "trafficgen: -date %q: expected YYYY-MM-DD\n", *date)
		os.Exit(2)
	}
	d.Start = start
	if err := write(*o, d); err != nil {
		fmt.Fprintln(os.Stderr, "trafficgen:", err)
		os.Exit(2)
	}
}

func write(path string, o synth.Options) error {
	if path == "-" {
		return synth.Write(os.Stdout, o)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := synth.Write(f, o); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
