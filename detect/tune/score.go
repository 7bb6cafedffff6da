package tune

import (
	"slices"
	"time"

	"github.com/headroomhq/headroom"
)

// LateWindow is how long after a burst a page is still about it: such a
// page is late (the burst was missed) but not false.
const LateWindow = time.Hour

// Score is how a rule set did on the scenarios.
type Score struct {
	// Bursts injected; Caught paged while the burst lasted; Late paged
	// after it ended, within LateWindow.
	Bursts, Caught, Late int
	// DetectMedian and DetectP95 are the times from a caught burst's
	// onset to its page; ResetMedian from the burst's end to the page's.
	DetectMedian, DetectP95, ResetMedian time.Duration
	// TruePages are the first page of each burst (caught or late).
	TruePages int
	// False pages: on the normal replay, on the blips run, and on the
	// bursts run away from any burst or repeated for one.
	FalseNormal, FalseBlips, FalseBursts int
	// detect holds the detection times, for merging runs.
	detect, reset []time.Duration
}

// False is every false page.
func (s Score) False() int { return s.FalseNormal + s.FalseBlips + s.FalseBursts }

// Recall is the share of bursts caught while they lasted.
func (s Score) Recall() float64 {
	if s.Bursts == 0 {
		return 0
	}
	return float64(s.Caught) / float64(s.Bursts)
}

// Precision is the share of pages that were about a burst; 1 with no page.
func (s Score) Precision() float64 {
	all := s.TruePages + s.False()
	if all == 0 {
		return 1
	}
	return float64(s.TruePages) / float64(all)
}

// page is a stretch during which a set's rules paged: its alerts merged.
type page struct {
	start, end time.Time // end zero: still paging when the run ended
}

// pages merges alerts (of any rules of a set) into pages.
func pages(alerts []headroom.Alert) []page {
	as := slices.Clone(alerts)
	slices.SortFunc(as, func(a, b headroom.Alert) int { return a.StartsAt.Compare(b.StartsAt) })
	var out []page
	for _, a := range as {
		if n := len(out); n > 0 && (out[n-1].end.IsZero() || !a.StartsAt.After(out[n-1].end)) {
			if a.EndsAt.IsZero() || (!out[n-1].end.IsZero() && a.EndsAt.After(out[n-1].end)) {
				out[n-1].end = a.EndsAt
			}
			continue
		}
		out = append(out, page{a.StartsAt, a.EndsAt})
	}
	return out
}

// add scores the alerts of one run of kind k with faults fs (in time
// order). A burst is caught when an alert of any of the set's rules starts
// while it lasts — a page already open for an earlier one does not catch
// it — and late when one starts within LateWindow after it. A page (the
// set's alerts merged) is true when it is the first to start during or
// within LateWindow after a burst, and false otherwise: on a run with no
// burst, away from any burst, or repeated for one.
func (s *Score) add(k Kind, alerts []headroom.Alert, fs []Fault) {
	ps := pages(alerts)
	switch k {
	case Normal:
		s.FalseNormal += len(ps)
		return
	case Blips:
		s.FalseBlips += len(ps)
		return
	}
	s.Bursts += len(fs)
	for _, f := range fs {
		var first, late *headroom.Alert
		for i, a := range alerts {
			switch {
			case a.StartsAt.Before(f.Start):
			case !a.StartsAt.After(f.End()):
				if first == nil || a.StartsAt.Before(first.StartsAt) {
					first = &alerts[i]
				}
			case !a.StartsAt.After(f.End().Add(LateWindow)):
				late = &alerts[i]
			}
		}
		switch {
		case first != nil:
			s.Caught++
			s.detect = append(s.detect, first.StartsAt.Sub(f.Start))
			for _, p := range ps {
				if !p.start.After(first.StartsAt) && (p.end.IsZero() || p.end.After(first.StartsAt)) && !p.end.IsZero() {
					s.reset = append(s.reset, p.end.Sub(f.End()))
				}
			}
		case late != nil:
			s.Late++
		}
	}
	paged := make([]bool, len(fs))
	for _, p := range ps {
		// The burst the page is about: the last one that began before it.
		i := -1
		for j, f := range fs {
			if !f.Start.After(p.start) {
				i = j
			}
		}
		if i < 0 || paged[i] || p.start.After(fs[i].End().Add(LateWindow)) {
			s.FalseBursts++
			continue
		}
		paged[i] = true
		s.TruePages++
	}
}

// finish computes the figures from the times gathered.
func (s *Score) finish() {
	s.DetectMedian, s.DetectP95 = quantile(s.detect, 0.5), quantile(s.detect, 0.95)
	s.ResetMedian = quantile(s.reset, 0.5)
}

// quantile is the nearest-rank q-quantile; zero for no values.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}
