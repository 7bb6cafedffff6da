package detect

import (
	"slices"
	"time"

	"github.com/headroomhq/headroom"
)

// Names of the built-in rules' states.
const (
	ruleCause = "capacity"
	ruleBlind = "blind"
)

// State is a detector's memory: what it saw recently and which alerts fire.
// It is a value that survives a restart (the live controller keeps it in its
// journal), so an alert firing before a restart is not fired again after it.
type State struct {
	// Started is the first evaluation; LastSample the newest evaluation
	// that had a demand sample.
	Started    time.Time `json:"started,omitzero"`
	LastSample time.Time `json:"lastSample,omitzero"`
	// ShortSince is when ready capacity went below need (zero while it is
	// not); LastCut the decision that cut it below need, the cause named
	// until capacity is back.
	ShortSince time.Time          `json:"shortSince,omitzero"`
	LastCut    *headroom.Decision `json:"lastCut,omitempty"`
	// Alerts holds each rule's state, by name.
	Alerts  []RuleState `json:"alerts,omitempty"`
	History History     `json:"history"`
}

// RuleState is one rule's memory: since when its condition holds (for
// `for`), when it last held (for `keep_firing_for`), its alert.
type RuleState struct {
	Name         string          `json:"name"`
	PendingSince time.Time       `json:"pendingSince,omitzero"`
	LastTrue     time.Time       `json:"lastTrue,omitzero"`
	Active       *headroom.Alert `json:"active,omitempty"`
	// Last is the most recent alert that ended.
	Last *headroom.Alert `json:"last,omitempty"`
}

// rule returns the state of rule name, added when new.
func (s *State) rule(name string) *RuleState {
	for i := range s.Alerts {
		if s.Alerts[i].Name == name {
			return &s.Alerts[i]
		}
	}
	s.Alerts = append(s.Alerts, RuleState{Name: name})
	return &s.Alerts[len(s.Alerts)-1]
}

// Firing returns the alerts firing in this state, in rule order.
func (s State) Firing() []headroom.Alert { return s.firing() }

// firing returns the active alerts, in rule order.
func (s *State) firing() []headroom.Alert {
	var out []headroom.Alert
	for _, r := range s.Alerts {
		if r.Active != nil {
			out = append(out, *r.Active)
		}
	}
	return out
}

// clone returns a deep copy.
func (s State) clone() State {
	if s.LastCut != nil {
		c := *s.LastCut
		s.LastCut = &c
	}
	s.Alerts = slices.Clone(s.Alerts)
	for i := range s.Alerts {
		r := &s.Alerts[i]
		if r.Active != nil {
			a := *r.Active
			r.Active = &a
		}
		if r.Last != nil {
			a := *r.Last
			r.Last = &a
		}
	}
	s.History.Ends = slices.Clone(s.History.Ends)
	return s
}

// Totals are what a stretch of time held: requests, the failed ones, the
// latency of all of them summed (seconds × requests), and the seconds of
// samples.
type Totals struct {
	Requests   float64 `json:"r"`
	Failed     float64 `json:"f"`
	LatencySum float64 `json:"l"`
	Seconds    float64 `json:"s"`
}

func (t Totals) plus(u Totals) Totals {
	return Totals{t.Requests + u.Requests, t.Failed + u.Failed, t.LatencySum + u.LatencySum, t.Seconds + u.Seconds}
}

func (t Totals) minus(u Totals) Totals {
	return Totals{t.Requests - u.Requests, t.Failed - u.Failed, t.LatencySum - u.LatencySum, t.Seconds - u.Seconds}
}

// ErrorRatio is failed over requests; zero without requests.
func (t Totals) ErrorRatio() float64 {
	if t.Requests <= 0 {
		return 0
	}
	return min(max(t.Failed/t.Requests, 0), 1)
}

// Latency is the mean latency of the requests.
func (t Totals) Latency() time.Duration {
	if t.Requests <= 0 {
		return 0
	}
	return time.Duration(t.LatencySum / t.Requests * float64(time.Second))
}

// Rate is requests per second of samples.
func (t Totals) Rate() float64 {
	if t.Seconds <= 0 {
		return 0
	}
	return t.Requests / t.Seconds
}

// History keeps running totals at the end of each of the last buckets, so
// the totals of any recent window cost two lookups, whatever its length.
type History struct {
	// Resolution is a bucket's width; bucket k covers
	// [k·Resolution, (k+1)·Resolution) of Unix time.
	Resolution time.Duration `json:"resolution"`
	// First and Newest are the first bucket that had a sample and the
	// newest one; Sum the running total of every sample.
	First  int64  `json:"first"`
	Newest int64  `json:"newest"`
	Sum    Totals `json:"sum"`
	// Samples counts the samples added.
	Samples int64 `json:"samples"`
	// Ends holds the running total at the end of bucket k in
	// Ends[k mod len(Ends)], for the last len(Ends) buckets.
	Ends []Totals `json:"ends,omitempty"`
}

// setResolution sizes the ring to cover longest; a different resolution
// or size (the rules changed) starts the history anew.
func (h *History) setResolution(res, longest time.Duration) {
	n := int(longest/res) + 2
	if h.Resolution == res && len(h.Ends) == n {
		return
	}
	*h = History{Resolution: res, Ends: make([]Totals, n)}
}

// bucket returns the bucket that holds the instant just before t: a sample
// ending at t describes the time before it.
func (h *History) bucket(t time.Time) int64 {
	ns := t.UnixNano() - 1
	k := ns / int64(h.Resolution)
	if ns < 0 && ns%int64(h.Resolution) != 0 {
		k--
	}
	return k
}

// add records a sample ending at t. A sample older than the newest bucket
// (a clock stepping back) is counted in the newest.
func (h *History) add(t time.Time, _ time.Duration, s Totals) {
	b := h.bucket(t)
	n := int64(len(h.Ends))
	if h.Samples == 0 {
		h.First, h.Newest = b, b
	}
	h.Samples++
	if b > h.Newest {
		// Buckets with no sample end where the previous one did.
		from := max(h.Newest+1, b-n+1)
		for k := from; k < b; k++ {
			h.Ends[mod(k, n)] = h.Sum
		}
		h.Newest = b
	}
	h.Sum = h.Sum.plus(s)
	h.Ends[mod(h.Newest, n)] = h.Sum
}

// end returns the running total at the end of bucket k.
func (h *History) end(k int64) Totals {
	n := int64(len(h.Ends))
	switch {
	case n == 0 || k < h.First:
		return Totals{}
	case k >= h.Newest:
		return h.Sum
	case k <= h.Newest-n:
		// Older than the ring: its oldest bucket is the best known.
		return h.Ends[mod(h.Newest-n+1, n)]
	}
	return h.Ends[mod(k, n)]
}

// Window returns the totals of the last w before now, in whole buckets
// (the bucket holding now included).
func (h *History) Window(now time.Time, w time.Duration) Totals {
	if len(h.Ends) == 0 {
		return Totals{}
	}
	b := h.bucket(now)
	m := max(int64(w/h.Resolution), 1)
	return h.end(b).minus(h.end(b - m))
}

func mod(k, n int64) int64 {
	r := k % n
	if r < 0 {
		r += n
	}
	return r
}
