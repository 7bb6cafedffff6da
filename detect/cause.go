package detect

import (
	"fmt"
	"time"

	"github.com/headroomhq/headroom"
)

// cuts reports whether decision d reduced capacity.
func cuts(d *headroom.Decision) bool { return d != nil && d.Desired < d.Current }

// cause evaluates the capacity signal: ready instances below what demand
// needs at the SLO. A decision that cuts capacity below need fires it at
// once, in the loop that made the cut, before any request fails; a
// shortage with no such decision fires once it lasted CauseAfter. It
// resets once capacity has been back at need for CauseReset.
func (d *Detector) cause(in *Input) {
	rs := d.st.rule(ruleCause)
	if in.Needed <= 0 || !in.HasDemand {
		// Need unknown: nothing to compare; the alert keeps its state.
		return
	}
	cutShort := cuts(in.Decision) && in.Decision.Desired < in.Needed
	if cutShort {
		c := *in.Decision
		d.st.LastCut = &c
	}
	short := in.Ready < in.Needed || cutShort
	if !short {
		d.st.ShortSince = time.Time{}
		if rs.Active != nil && in.Now.Sub(rs.LastTrue) >= d.cfg.CauseReset {
			d.resolve(rs, in.Now)
		}
		if rs.Active == nil {
			d.st.LastCut = nil
		}
		return
	}
	if d.st.ShortSince.IsZero() {
		d.st.ShortSince = in.Now
	}
	rs.LastTrue = in.Now
	if rs.Active != nil || (!cutShort && in.Now.Sub(d.st.ShortSince) < d.cfg.CauseAfter) {
		return
	}
	d.fire(rs, headroom.SignalCause, headroom.SeverityPage, in.Now, d.why(in))
}

// why names the evidence of a shortage: the cut that made it, or the demand
// rise the policy could not follow.
func (d *Detector) why(in *Input) headroom.Reason {
	have := fmt.Sprintf("%d ready", in.Ready)
	if in.Desired != in.Ready {
		have += fmt.Sprintf(" (%d desired)", in.Desired)
	}
	short := fmt.Sprintf("capacity below need: %s of %d needed for %s req/s", have, in.Needed, num(in.Demand))
	if c := d.st.LastCut; c != nil {
		return headroom.Reason{Code: headroom.ReasonCapacityShort, Message: fmt.Sprintf("%s — cut by %s %s %d -> %d: %s",
			short, utc(c.Time), c.Reason.Code, c.Current, c.Desired, c.Reason.Message)}
	}
	// No decision cut it: how fast did demand rise, against how fast
	// instances start?
	// Now against the span before the last one: a start-up delay's
	// worth of history is what the policy had to react in.
	span := max(d.cfg.StartupDelay, time.Minute)
	before := d.st.History.Window(in.Now.Add(-span), span)
	rise := "demand did not rise"
	if b, r := before.Rate(), in.Demand; b > 0 && r > b*1.1 {
		rise = fmt.Sprintf("demand rose %sx in %s (from %s to %s req/s)", num(r/b), shortDuration(span), num(b), num(r))
	}
	msg := fmt.Sprintf("%s; no decision cut it: %s", short, rise)
	if d.cfg.StartupDelay > 0 {
		msg += fmt.Sprintf(", and instances take %s to start", shortDuration(d.cfg.StartupDelay))
	}
	return headroom.Reason{Code: headroom.ReasonDemandOutran, Message: msg}
}
