package detect

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
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
	if rs := s.find(name); rs != nil {
		return rs
	}
	s.Alerts = append(s.Alerts, RuleState{Name: name})
	return &s.Alerts[len(s.Alerts)-1]
}

// find returns the state of rule name, nil when it has none.
func (s *State) find(name string) *RuleState {
	for i := range s.Alerts {
		if s.Alerts[i].Name == name {
			return &s.Alerts[i]
		}
	}
	return nil
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
	s.History = s.History.clone()
	return s
}

// Totals are what a stretch of time held: requests, the ones sampled with
// health data (Healthy: the failed ones and the latency are known of them
// only), the failed ones, the latency of the healthy ones summed (seconds ×
// requests), and the seconds of samples.
//
// Healthy is not in the JSON: the saved history (ringJSON) keeps the
// requests without health data, absent when there were none, as in a
// history saved before they were counted apart.
type Totals struct {
	Requests   float64 `json:"r"`
	Healthy    float64 `json:"-"`
	Failed     float64 `json:"f"`
	LatencySum float64 `json:"l"`
	Seconds    float64 `json:"s"`
}

func (t Totals) minus(u Totals) Totals {
	return Totals{t.Requests - u.Requests, t.Healthy - u.Healthy, t.Failed - u.Failed, t.LatencySum - u.LatencySum, t.Seconds - u.Seconds}
}

// ErrorRatio is failed over the requests with health data; zero without
// any.
func (t Totals) ErrorRatio() float64 {
	if t.Healthy <= 0 {
		return 0
	}
	return min(max(t.Failed/t.Healthy, 0), 1)
}

// Latency is the mean latency of the requests with health data; zero
// without any.
func (t Totals) Latency() time.Duration {
	if t.Healthy <= 0 {
		return 0
	}
	return time.Duration(t.LatencySum / t.Healthy * float64(time.Second))
}

// Rate is requests per second of samples.
func (t Totals) Rate() float64 {
	if t.Seconds <= 0 {
		return 0
	}
	return t.Requests / t.Seconds
}

// History is what the detector saw recently, at two resolutions: a fine
// ring of Resolution buckets for windows up to FineSpan, and a coarse ring
// of CoarseResolution buckets for longer ones (the workbook's 6h window
// needs no 15 s detail). The live controller saves it once a minute
// (controller.DefaultRefresh) and whenever an alert changes, so it is kept
// small.
type History struct {
	Fine   Ring `json:"fine"`
	Coarse Ring `json:"coarse,omitzero"`
}

// The coarse ring's resolution and the longest window the fine one serves.
const (
	FineSpan         = time.Hour
	CoarseResolution = 5 * time.Minute
)

// setResolution sizes the rings for windows up to longest; a change (the
// rules changed) starts them anew.
func (h *History) setResolution(res, longest time.Duration) {
	h.Fine.size(res, min(longest, max(FineSpan, res)))
	if longest > FineSpan {
		h.Coarse.size(CoarseResolution, longest)
	} else {
		h.Coarse = Ring{}
	}
}

// add takes s by pointer, as Ring.add does: a Totals copied by value is
// 40 bytes through the stack, read back before its stores have landed.
func (h *History) add(t time.Time, s *Totals) {
	h.Fine.add(t, s)
	if len(h.Coarse.Ends) > 0 {
		h.Coarse.add(t, s)
	}
}

// Window returns the totals of the last w before now: from the fine ring
// when it covers w, else from the coarse one (in whole coarse buckets).
func (h *History) Window(now time.Time, w time.Duration) Totals {
	if len(h.Coarse.Ends) == 0 || w <= h.Fine.span() {
		return h.Fine.Window(now, w)
	}
	return h.Coarse.Window(now, w)
}

// reach is a window as the history answers it: from which ring, over how
// many of its buckets. Found once per rule, not at every step (a 64-bit
// division is most of a window's cost).
type reach struct {
	coarse  bool
	buckets int64
}

// reach returns window w's reach.
func (h *History) reach(w time.Duration) reach {
	if len(h.Coarse.Ends) == 0 || w <= h.Fine.span() {
		return reach{buckets: h.Fine.buckets(w)}
	}
	return reach{coarse: true, buckets: h.Coarse.buckets(w)}
}

// view is the history as seen from one instant: its buckets found once for
// the several windows a step reads.
type view struct {
	h            *History
	fine, coarse int64         // the buckets holding the instant
	seen         time.Duration // since the history began
}

// at returns the history's view from now.
func (h *History) at(now time.Time) view {
	v := view{h: h, fine: h.Fine.bucket(now), seen: now.Sub(h.start())}
	if len(h.Coarse.Ends) > 0 {
		v.coarse = h.Coarse.bucket(now)
	}
	return v
}

// window is History.Window at the view's instant, of a window's reach.
func (v view) window(r reach) Totals {
	if r.coarse {
		return v.h.Coarse.windowAt(v.coarse, r.buckets)
	}
	return v.h.Fine.windowAt(v.fine, r.buckets)
}

// start is when the history begins: the start of its first sample's
// bucket (the zero time before any sample).
func (h *History) start() time.Time {
	if h.Fine.Samples == 0 {
		return time.Time{}
	}
	return time.Unix(0, h.Fine.First*int64(h.Fine.Resolution))
}

// newestEnd is the end of the newest bucket of either ring: a sample
// counted there ended no later (the zero time before any sample).
func (h *History) newestEnd() time.Time {
	var t time.Time
	for _, r := range []*Ring{&h.Fine, &h.Coarse} {
		if r.Samples > 0 {
			if e := time.Unix(0, (r.Newest+1)*int64(r.Resolution)); e.After(t) {
				t = e
			}
		}
	}
	return t
}

func (h History) clone() History {
	h.Fine.Ends = slices.Clone(h.Fine.Ends)
	h.Coarse.Ends = slices.Clone(h.Coarse.Ends)
	return h
}

// Ring keeps running totals at the end of each of the last buckets, so
// the totals of any recent window cost two lookups, whatever its length.
type Ring struct {
	// Resolution is a bucket's width; bucket k covers
	// [k·Resolution, (k+1)·Resolution) of Unix time.
	Resolution time.Duration
	// First and Newest are the first bucket that had a sample and the
	// newest one; Sum the running total of every sample; Samples counts
	// them.
	First, Newest int64
	Sum           Totals
	Samples       int64
	// Ends holds the running total at the end of bucket k in
	// Ends[k mod len(Ends)], for the last len(Ends) buckets.
	Ends []Totals
}

// size makes the ring cover span at res; a different size starts it anew.
func (r *Ring) size(res, span time.Duration) {
	n := int(span/res) + 2
	if r.Resolution == res && len(r.Ends) == n {
		return
	}
	*r = Ring{Resolution: res, Ends: make([]Totals, n)}
}

// span is the longest window the ring answers exactly.
func (r *Ring) span() time.Duration { return time.Duration(max(len(r.Ends)-2, 0)) * r.Resolution }

// bucket returns the bucket that holds the instant just before t: a sample
// ending at t describes the time before it.
func (r *Ring) bucket(t time.Time) int64 {
	ns := t.UnixNano() - 1
	k := ns / int64(r.Resolution)
	if ns < 0 && ns%int64(r.Resolution) != 0 {
		k--
	}
	return k
}

// add records a sample ending at t. A sample older than the newest bucket
// (a clock stepping back) is counted in the newest.
func (r *Ring) add(t time.Time, s *Totals) {
	b := r.bucket(t)
	n := int64(len(r.Ends))
	if r.Samples == 0 {
		r.First, r.Newest = b, b
	}
	r.Samples++
	if b > r.Newest {
		// Buckets with no sample end where the previous one did.
		from := max(r.Newest+1, b-n+1)
		for k := from; k < b; k++ {
			r.Ends[mod(k, n)] = r.Sum
		}
		r.Newest = b
	}
	// Field by field from registers: a Totals built on the stack and
	// copied 16 bytes at a time read back halves of stores just made,
	// which the CPU cannot forward (a stall on each copy).
	sum := &r.Sum
	rq, h, f, l, sc := sum.Requests+s.Requests, sum.Healthy+s.Healthy, sum.Failed+s.Failed, sum.LatencySum+s.LatencySum, sum.Seconds+s.Seconds
	sum.Requests, sum.Healthy, sum.Failed, sum.LatencySum, sum.Seconds = rq, h, f, l, sc
	e := &r.Ends[mod(r.Newest, n)]
	e.Requests, e.Healthy, e.Failed, e.LatencySum, e.Seconds = rq, h, f, l, sc
}

// end returns the running total at the end of bucket k.
func (r *Ring) end(k int64) Totals {
	if len(r.Ends) == 0 {
		return Totals{}
	}
	return r.endFrom(mod(r.Newest, int64(len(r.Ends))), k)
}

// endFrom is end, given the newest bucket's index in Ends: the others
// are found back from it without a division.
func (r *Ring) endFrom(newest, k int64) Totals {
	n := int64(len(r.Ends))
	switch {
	case n == 0 || k < r.First:
		return Totals{}
	case k >= r.Newest:
		return r.Sum
	case k <= r.Newest-n:
		// Older than the ring: its oldest bucket is the best known.
		k = r.Newest - n + 1
	}
	i := newest - (r.Newest - k) // r.Newest − k is in [1, n−1]
	if i < 0 {
		i += n
	}
	return r.Ends[i]
}

// Window returns the totals of the last w before now, in whole buckets
// (the bucket holding now included).
func (r *Ring) Window(now time.Time, w time.Duration) Totals {
	if len(r.Ends) == 0 {
		return Totals{}
	}
	return r.windowAt(r.bucket(now), r.buckets(w))
}

// buckets is how many whole buckets window w spans (at least one).
func (r *Ring) buckets(w time.Duration) int64 { return max(int64(w/r.Resolution), 1) }

// windowAt returns the totals of the m buckets up to bucket b.
func (r *Ring) windowAt(b, m int64) Totals {
	if len(r.Ends) == 0 {
		return Totals{}
	}
	newest := mod(r.Newest, int64(len(r.Ends)))
	return r.endFrom(newest, b).minus(r.endFrom(newest, b-m))
}

// ringJSON is a Ring as the journal keeps it: each bucket's own totals
// (not running ones), oldest first, as little-endian float32 quadruples in
// base64 — a tenth of the JSON numbers' size, and a bucket's totals need no
// more than float32's precision.
//
// The requests without health data (Requests − Healthy) are apart, in
// NoHealth (the sum's) and NoHealthBuckets (a float32 a bucket, in the same
// order), both absent when every request had health data: the common case
// costs nothing, and a history saved before they were counted reads as one
// whose requests all had health data.
type ringJSON struct {
	Resolution      time.Duration `json:"resolution"`
	First           int64         `json:"first"`
	Newest          int64         `json:"newest"`
	Sum             Totals        `json:"sum"`
	NoHealth        float64       `json:"noHealth,omitempty"`
	Samples         int64         `json:"samples"`
	Buckets         []byte        `json:"buckets,omitempty"`
	NoHealthBuckets []byte        `json:"noHealthBuckets,omitempty"`
}

// MarshalJSON writes the compact form.
func (r Ring) MarshalJSON() ([]byte, error) {
	out := ringJSON{Resolution: r.Resolution, First: r.First, Newest: r.Newest, Sum: r.Sum, NoHealth: r.Sum.Requests - r.Sum.Healthy, Samples: r.Samples}
	n := int64(len(r.Ends))
	if n > 0 {
		buf := make([]byte, 0, 16*n)
		var nh []byte
		for k, i := r.Newest-n+1, int64(0); k <= r.Newest; k, i = k+1, i+1 {
			d := r.end(k).minus(r.end(k - 1))
			for _, v := range [4]float64{d.Requests, d.Failed, d.LatencySum, d.Seconds} {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(v)))
			}
			// Below float32's precision of the bucket's requests, a
			// difference is the running sums' rounding, not a request.
			no := d.Requests - d.Healthy
			if math.Abs(no) <= 1e-7*math.Abs(d.Requests) {
				continue
			}
			if nh == nil {
				nh = make([]byte, 4*n)
			}
			binary.LittleEndian.PutUint32(nh[4*i:], math.Float32bits(float32(no)))
		}
		out.Buckets, out.NoHealthBuckets = buf, nh
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads the compact form, rebuilding the running totals.
func (r *Ring) UnmarshalJSON(data []byte) error {
	var in ringJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	if len(in.Buckets)%16 != 0 {
		return fmt.Errorf("detector history: %d bytes of buckets; expected a multiple of 16", len(in.Buckets))
	}
	n := int64(len(in.Buckets) / 16)
	if in.NoHealthBuckets != nil && int64(len(in.NoHealthBuckets)) != 4*n {
		return fmt.Errorf("detector history: %d bytes of requests without health data; expected %d, 4 a bucket", len(in.NoHealthBuckets), 4*n)
	}
	in.Sum.Healthy = in.Sum.Requests - in.NoHealth
	*r = Ring{Resolution: in.Resolution, First: in.First, Newest: in.Newest, Sum: in.Sum, Samples: in.Samples, Ends: make([]Totals, n)}
	if n == 0 {
		return nil
	}
	if r.Resolution <= 0 {
		return fmt.Errorf("detector history: resolution %s; expected a positive one", r.Resolution)
	}
	// Walk back from the newest bucket, whose end is Sum.
	end := r.Sum
	for i := n - 1; i >= 0; i-- {
		k := r.Newest - (n - 1 - i)
		r.Ends[mod(k, n)] = end
		var q [4]float64
		for j := range q {
			q[j] = float64(math.Float32frombits(binary.LittleEndian.Uint32(in.Buckets[16*i+4*int64(j):])))
		}
		healthy := q[0]
		if in.NoHealthBuckets != nil {
			healthy -= float64(math.Float32frombits(binary.LittleEndian.Uint32(in.NoHealthBuckets[4*i:])))
		}
		end = end.minus(Totals{q[0], healthy, q[1], q[2], q[3]})
	}
	return nil
}

func mod(k, n int64) int64 {
	r := k % n
	if r < 0 {
		r += n
	}
	return r
}
