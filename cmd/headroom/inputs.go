package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/check"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/policy/dialect"
	"github.com/headroomhq/headroom/traffic"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// trafficFlags are the traffic options shared by check and simulate.
type trafficFlags struct {
	files  []string
	format string
	gaps   string
	scale  float64
	shift  time.Duration
	// join makes one series of every file (recordings of one period).
	join bool
	// progress forces the progress line even when stderr is not a terminal.
	progress bool
}

func (f *trafficFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.files, "traffic", nil, "recorded traffic: CSV timestamp,requests, Prometheus query_range JSON or an access log (repeat for several recordings; each is replayed on its own); a glob pattern such as 'week-*.csv' joins the files it matches into one recording")
	fl.BoolVar(&f.join, "join", false, "join every --traffic file into one recording (pieces of one period, e.g. from headroom traffic pull); overlaps and gaps between them are reported, gaps handled as --gaps says")
	fl.StringVar(&f.format, "traffic-format", "auto", "traffic format: auto, csv, prometheus or accesslog")
	fl.StringVar(&f.gaps, "gaps", "error", "missing intervals in traffic: error, zero (fill with 0) or hold (repeat the previous count)")
	fl.Float64Var(&f.scale, "scale", 1, "multiply traffic, e.g. 1.3 for 30% growth")
	fl.DurationVar(&f.shift, "shift", 0, "move traffic in time, e.g. 2h or -24h (whole seconds)")
	fl.BoolVar(&f.progress, "progress", false, "show progress on stderr even when it is not a terminal (it shows on a terminal anyway)")
}

// load reads, transforms and reports on every traffic file. Warnings go to
// stderr: what the readers handled must never be silent.
func (f *trafficFlags) load(cmd *cobra.Command) ([]*headroom.Series, []string, error) {
	opt, err := f.options(cmd)
	if err != nil {
		return nil, nil, err
	}
	recordings, warnings, err := f.read(cmd, opt)
	if err != nil {
		return nil, nil, err
	}
	var out []*headroom.Series
	for _, s := range recordings {
		if f.scale != 1 {
			traffic.Scale(s, f.scale)
		}
		if f.shift != 0 {
			traffic.Shift(s, f.shift)
		}
		// Times and counts are checked after --scale and --shift: a shift
		// to before 1970 or a scale past the model's range is refused
		// here, never replayed into a wrong verdict.
		if err := traffic.CheckRange(s, f.transformed()); err != nil {
			return nil, nil, err
		}
		out = append(out, s)
	}
	return out, warnings, nil
}

// loadAhead is load for a replay that can follow one file as it is read
// (check): the series comes back while the file is still being parsed,
// with the traffic.Ahead to wait on for its counts, its warnings and its
// error (traffic.ReadAhead: the series and errors are load's). ahead is
// nil when load read everything first (several files or a pattern, or a
// file that does not say its length up front).
func (f *trafficFlags) loadAhead(cmd *cobra.Command) (series []*headroom.Series, warnings []string, ahead *traffic.Ahead, err error) {
	if len(f.files) != 1 {
		series, warnings, err = f.load(cmd)
		return series, warnings, nil, err
	}
	if _, serr := os.Stat(f.files[0]); serr != nil {
		// A pattern, or a missing file: load says which.
		series, warnings, err = f.load(cmd)
		return series, warnings, nil, err
	}
	opt, err := f.options(cmd)
	if err != nil {
		return nil, nil, nil, err
	}
	a, err := traffic.ReadAhead(f.files[0], opt, traffic.Transform{Scale: f.scale, Shift: f.shift, What: f.transformed()})
	if err != nil {
		return nil, nil, nil, err
	}
	if a.Series != nil {
		return []*headroom.Series{a.Series}, nil, a, nil
	}
	s, ws, _, err := a.Result()
	if err != nil {
		return nil, nil, nil, err
	}
	return []*headroom.Series{s}, f.report(cmd, ws), nil, nil
}

// report writes the readers' warnings to stderr and returns them.
func (f *trafficFlags) report(cmd *cobra.Command, ws []traffic.Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.String())
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
	}
	return out
}

// options checks the traffic flags and returns the readers' options.
func (f *trafficFlags) options(cmd *cobra.Command) (traffic.Options, error) {
	if len(f.files) == 0 {
		return traffic.Options{}, &usageError{msg: "no traffic: give at least one --traffic file", hint: cmd.CommandPath() + " ... --traffic traffic.csv"}
	}
	format := traffic.Format(f.format)
	if f.format == "auto" {
		format = traffic.FormatAuto
	}
	switch format {
	case traffic.FormatAuto, traffic.FormatCSV, traffic.FormatPrometheus, traffic.FormatAccessLog:
	default:
		return traffic.Options{}, &usageError{msg: fmt.Sprintf("--traffic-format %q: expected auto, csv, prometheus or accesslog", f.format), hint: cmd.CommandPath() + " --help"}
	}
	gaps := traffic.GapPolicy(f.gaps)
	switch gaps {
	case traffic.GapError, traffic.GapZero, traffic.GapHold:
	default:
		return traffic.Options{}, &usageError{msg: fmt.Sprintf("--gaps %q: expected error, zero or hold", f.gaps), hint: cmd.CommandPath() + " --help"}
	}
	if !(f.scale > 0 && f.scale <= traffic.MaxScale) {
		return traffic.Options{}, &usageError{msg: fmt.Sprintf("--scale %v: expected a factor above 0 and at most %d, such as 1.3", f.scale, traffic.MaxScale), hint: cmd.CommandPath() + " --scale 1.3 ..."}
	}
	if f.shift%time.Second != 0 {
		return traffic.Options{}, &usageError{msg: fmt.Sprintf("--shift %s: expected whole seconds", f.shift), hint: cmd.CommandPath() + " --help"}
	}
	return traffic.Options{Format: format, Gaps: gaps}, nil
}

// read reads every --traffic file: each is a recording, a glob pattern's
// matches are joined into one, and with --join all of them are. The
// readers' and the join's warnings go to stderr.
func (f *trafficFlags) read(cmd *cobra.Command, opt traffic.Options) ([]*headroom.Series, []string, error) {
	var warnings []string
	report := func(ws []traffic.Warning) { warnings = append(warnings, f.report(cmd, ws)...) }
	var out, all []*headroom.Series
	for _, arg := range f.files {
		paths, err := expandTraffic(cmd, arg)
		if err != nil {
			return nil, nil, err
		}
		var parts []*headroom.Series
		for _, path := range paths {
			s, ws, err := traffic.ReadFile(path, opt)
			if err != nil {
				return nil, nil, err
			}
			report(ws)
			parts = append(parts, s)
		}
		all = append(all, parts...)
		if len(parts) == 1 {
			out = append(out, parts[0])
			continue
		}
		joined, ws, err := traffic.Join(arg, parts, opt.Gaps)
		if err != nil {
			return nil, nil, err
		}
		report(ws)
		out = append(out, joined)
	}
	if f.join && len(all) > 1 {
		joined, ws, err := traffic.Join(strings.Join(f.files, "+"), all, opt.Gaps)
		if err != nil {
			return nil, nil, err
		}
		report(ws)
		out = []*headroom.Series{joined}
	}
	return out, warnings, nil
}

// expandTraffic returns the files of a --traffic value: the file itself,
// or the files a glob pattern matches, in name order.
func expandTraffic(cmd *cobra.Command, arg string) ([]string, error) {
	if _, err := os.Stat(arg); err == nil || !strings.ContainsAny(arg, "*?[") {
		return []string{arg}, nil
	}
	paths, err := filepath.Glob(arg)
	if err != nil {
		return nil, &usageError{msg: fmt.Sprintf("--traffic %q: %v", arg, err), hint: cmd.CommandPath() + " ... --traffic 'traffic/week-*.csv'"}
	}
	if len(paths) == 0 {
		return nil, &usageError{msg: fmt.Sprintf("--traffic %q: no file matches the pattern", arg), hint: cmd.CommandPath() + " ... --traffic 'traffic/week-*.csv'"}
	}
	return paths, nil
}

// transformed says which flags changed the series, for an error about it.
func (f *trafficFlags) transformed() string {
	var flags []string
	if f.scale != 1 {
		flags = append(flags, "--scale "+strconv.FormatFloat(f.scale, 'g', -1, 64))
	}
	if f.shift != 0 {
		flags = append(flags, "--shift "+f.shift.String())
	}
	if len(flags) == 0 {
		return ""
	}
	return "(after " + strings.Join(flags, " ") + ")"
}

// describe lists the traffic options that change what was replayed, for
// the report: a check of traffic scaled by 1.3 must say so.
func (f *trafficFlags) describe() map[string]string {
	o := map[string]string{}
	if f.scale != 1 {
		o["scale"] = strconv.FormatFloat(f.scale, 'g', -1, 64)
	}
	if f.shift != 0 {
		o["shift"] = f.shift.String()
	}
	if f.gaps != string(traffic.GapError) {
		o["gaps"] = f.gaps
	}
	if len(o) == 0 {
		return nil
	}
	return o
}

// maxGuardMargin is the largest --guard-margin: keeping ten times the
// capacity demand needs is already no scale-in at all.
const maxGuardMargin = 10

// guardFlags turn on headroom's guards in a simulation.
type guardFlags struct {
	on     bool
	margin float64
}

func (g *guardFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&g.on, "guards", false, "apply headroom's live guards (scale-in deferred while demand needs the capacity, scale-in rate limit, blind freeze, emergency scale-out) to see what they would prevent")
	cmd.Flags().Float64Var(&g.margin, "guard-margin", headroom.DefaultGuardMargin, "with --guards: extra capacity the scale-in guard keeps, as a fraction")
}

// apply sets the guards of opt; done records them in the report.
func (g *guardFlags) apply(cmd *cobra.Command, opt *check.Options) (done func(*check.Report), err error) {
	if !g.on {
		return func(*check.Report) {}, nil
	}
	if !(g.margin >= 0 && g.margin <= maxGuardMargin) {
		return nil, &usageError{msg: fmt.Sprintf("--guard-margin %v: expected a fraction from 0 to %d, such as 0.1", g.margin, maxGuardMargin), hint: cmd.CommandPath() + " --guards --guard-margin 0.1 ..."}
	}
	svc := opt.Service
	opt.Guards = func(p *headroom.Policy) *headroom.Guards { return headroom.DefaultGuards(svc, p, g.margin) }
	return func(r *check.Report) {
		if r.Options == nil {
			r.Options = map[string]string{}
		}
		r.Options["guards"] = fmt.Sprintf("on (margin %v)", g.margin)
	}, nil
}

// warn prints what a reader approximated; it belongs in the report too.
func warn(cmd *cobra.Command, ws []string) []string {
	for _, w := range ws {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
	}
	return ws
}

// formatList names the policy formats for help texts.
func formatList() string {
	var names []string
	for _, f := range dialect.Formats {
		if f != dialect.Auto {
			names = append(names, string(f))
		}
	}
	return strings.Join(names, ", ")
}

// loadService reads the Service document of path.
func loadService(cmd *cobra.Command, path string) (*headroom.Service, error) {
	if path == "" {
		return nil, &usageError{msg: "no service model: give --service service.yaml", hint: cmd.CommandPath() + " --service service.yaml ..."}
	}
	return policy.LoadService(path)
}

// progressFunc prints a progress line on stderr once a run has taken more
// than a second: always with --progress, by default only when stderr is a
// terminal, so CI logs stay clean.
func progressFunc(w io.Writer, label string, force bool) func(done, total int) {
	return progressBar(w, label, force, func(done, _ int) string {
		return (time.Duration(done) * time.Second).String() + " simulated"
	})
}

// progressBar is progressFunc with the words after the bar: what says how
// far done is.
func progressBar(w io.Writer, label string, force bool, what func(done, total int) string) func(done, total int) {
	f, ok := w.(*os.File)
	if !force && (!ok || !term.IsTerminal(int(f.Fd()))) {
		return nil
	}
	start := time.Now()
	shown := false
	last := time.Time{}
	return func(done, total int) {
		now := time.Now()
		if now.Sub(start) < time.Second || (now.Sub(last) < 100*time.Millisecond && done < total) {
			return
		}
		last, shown = now, true
		pct := 100 * float64(done) / float64(max(total, 1))
		bar := strings.Repeat("█", int(pct/5)) + strings.Repeat("░", 20-int(pct/5))
		fmt.Fprintf(w, "\r%s %s %5.1f%%  %s", label, bar, pct, what(done, total))
		if done >= total && shown {
			fmt.Fprintln(w)
		}
	}
}
