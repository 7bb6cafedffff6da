// Package synth writes a synthetic but realistic day (or days) of traffic
// for a busy, global website, as CSV timestamp,requests.
//
// The day is the sum of three regional audiences, each following its own
// working day in its own time zone (Europe/Berlin, America/New_York,
// Asia/Tokyo), on top of a small always-on floor of machine traffic (APIs,
// CI systems, bots). Weights put most users in Europe and the Americas, so
// the peak spans Europe's afternoon and America's morning (about 13:00-18:00
// UTC), as it does for developer tools. Noise is multiplicative and
// autocorrelated (an AR(1) process in log space, so bursts last tens of
// seconds rather than flickering) plus Poisson counting noise, and a few
// short bursts (a release, a popular link) are added at random times.
//
// The same seed and flags always write the same file: the example traffic
// in examples/bitbucket-2021-06-30 is regenerated and compared in a test.
package synth

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"
)

// Options shape the generated traffic.
type Options struct {
	// Start is the first timestamp (UTC); Days how many days follow.
	Start time.Time
	Days  int
	// Peak is the request rate at the height of a day, Floor the machine
	// traffic present all day as a fraction of Peak.
	Peak, Floor float64
	// Step is the interval of each row, whole seconds.
	Step time.Duration
	Seed uint64
}

// Defaults are the options of the shipped example.
func Defaults() Options {
	return Options{Start: time.Date(2021, 6, 30, 0, 0, 0, 0, time.UTC), Days: 1, Peak: 4000, Floor: 0.12, Step: 15 * time.Second, Seed: 20210630}
}

// region is one audience: its weight of the peak, its zone and its day.
type region struct {
	zone   string
	weight float64
	// start and end of the working day, local hours; traffic ramps up and
	// down over ramp hours around them.
	start, end, ramp float64
}

var regions = []region{
	{zone: "Europe/Berlin", weight: 0.42, start: 8.5, end: 18, ramp: 1.5},
	{zone: "America/New_York", weight: 0.43, start: 8.5, end: 18, ramp: 1.5},
	{zone: "Asia/Tokyo", weight: 0.15, start: 9, end: 19, ramp: 1.5},
}

// activity is 0 at night and 1 during the working day, with smooth
// (raised-cosine) ramps, and a small evening tail.
func activity(h float64, r region) float64 {
	switch {
	case h < r.start-r.ramp:
		return 0.08
	case h < r.start:
		x := (h - (r.start - r.ramp)) / r.ramp
		return 0.08 + 0.92*(1-math.Cos(math.Pi*x))/2
	case h < r.end:
		// a lunch dip in the middle of the day
		lunch := 0.12 * math.Exp(-math.Pow((h-12.5)/0.7, 2))
		return 1 - lunch
	case h < r.end+r.ramp*2:
		x := (h - r.end) / (r.ramp * 2)
		return 0.25 + 0.75*(1+math.Cos(math.Pi*x))/2
	default:
		return 0.25 * math.Max(0.3, 1-(h-(r.end+r.ramp*2))/4)
	}
}

// Write writes the traffic as CSV with a header.
func Write(w io.Writer, o Options) error {
	if o.Step < time.Second || o.Step%time.Second != 0 {
		return fmt.Errorf("step %s: expected whole seconds", o.Step)
	}
	if o.Days < 1 {
		return fmt.Errorf("days %d: expected at least 1", o.Days)
	}
	zones := make([]*time.Location, len(regions))
	for i, r := range regions {
		var err error
		if zones[i], err = time.LoadLocation(r.zone); err != nil {
			return err
		}
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString("timestamp,requests\n")
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))

	// Bursts: a few per day, 2-8 minutes, +10-35%.
	type burst struct{ at, dur, gain float64 }
	var bursts []burst
	for i := 0; i < 4*o.Days; i++ {
		bursts = append(bursts, burst{at: rng.Float64() * 86400 * float64(o.Days), dur: 120 + rng.Float64()*360, gain: 0.10 + rng.Float64()*0.25})
	}
	var noise float64 // AR(1) in log space
	sec := o.Step.Seconds()
	alpha := math.Exp(-sec / 120) // correlation time of two minutes
	var line []byte
	end := o.Start.Add(time.Duration(o.Days) * 24 * time.Hour)
	for t := o.Start.UTC(); t.Before(end); t = t.Add(o.Step) {
		rate := o.Floor
		for i, r := range regions {
			lt := t.In(zones[i])
			h := float64(lt.Hour()) + float64(lt.Minute())/60 + float64(lt.Second())/3600
			rate += r.weight * activity(h, r) * (1 - o.Floor)
		}
		rate *= o.Peak
		s := t.Sub(o.Start).Seconds()
		for _, b := range bursts {
			if s >= b.at && s < b.at+b.dur {
				rate *= 1 + b.gain*math.Sin(math.Pi*(s-b.at)/b.dur)
			}
		}
		noise = alpha*noise + math.Sqrt(1-alpha*alpha)*0.06*rng.NormFloat64()
		mean := rate * math.Exp(noise) * sec
		// Poisson counting noise, by its normal approximation (means are
		// large enough).
		count := math.Max(0, math.Round(mean+math.Sqrt(mean)*rng.NormFloat64()))
		line = t.AppendFormat(line[:0], time.RFC3339)
		line = append(line, ',')
		line = fmt.Appendf(line, "%d\n", int64(count))
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}
