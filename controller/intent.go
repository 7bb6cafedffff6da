package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/engine"
)

// intend writes the actuation decide is about to make (write-ahead), with
// the engine's memory after it, and returns the intent's ID.
func (c *Controller) intend(ctx context.Context, j headroom.Journal, t *Target, now time.Time, current headroom.Capacity, out engine.Output) (int64, error) {
	state, err := json.Marshal(out.State)
	if err != nil {
		return 0, fmt.Errorf("encode engine state: %w", err)
	}
	return j.Intend(ctx, headroom.Intent{Target: t.Name, Time: now, Current: current, Desired: out.Desired,
		Reason: out.Reason, Token: c.leaderOf(t).fence().Token, State: state})
}

// reconcile settles t's open intents — actuations whose record was lost
// with a process that died between acting and recording, or whose record
// could not be written — against the platform's count read this loop: an
// intent the platform is at was made, and its record says so (with the
// engine's memory after it saved); any other was not. It never acts: the
// loop that follows decides from what is. Each intent is closed by the
// record that tells its outcome, so a reconciliation cut short is
// resumed, never doubled.
func (c *Controller) reconcile(ctx context.Context, j headroom.Journal, t *Target, now time.Time, current headroom.Capacity, log *slog.Logger) error {
	intents, err := j.OpenIntents(ctx, t.Name)
	if err != nil {
		return err
	}
	// Written even when ctx ends meanwhile, as a record is.
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), journalTimeout)
	defer cancel()
	at := now.UTC().Format(time.RFC3339)
	for _, in := range intents {
		made := current.Total() == in.Desired
		r := Record{Target: t.Name, Time: in.Time, Mode: string(headroom.ModeEnforce), Current: in.Current, Applied: made, Intent: in.ID,
			Decision: headroom.Decision{Time: in.Time, Current: in.Current.Total(), Desired: in.Desired, Reason: in.Reason}}
		if made {
			r.Error = fmt.Sprintf("reconciled after restart/takeover at %s: the platform is at %d as intended, so the actuation was made; its record had been lost", at, in.Desired)
			// Saved before the record closes the intent: a death between
			// the two saves the same memory again.
			if in.State != nil {
				if err := j.SaveState(rec, t.Name, livePolicy, in.State); err != nil {
					return fmt.Errorf("save the engine state of intent %d: %w", in.ID, err)
				}
			}
		} else {
			r.Error = fmt.Sprintf("reconciled after restart/takeover at %s: the platform is at %d, not the intended %d: not applied", at, current.Total(), in.Desired)
		}
		if err := j.Append(rec, r); err != nil {
			return fmt.Errorf("record intent %d: %w", in.ID, err)
		}
		log.Warn("reconciled an open intent", "intent", in.ID, "intended", in.Desired, "platform", current.Total(), "applied", made, "token", in.Token)
	}
	return nil
}

// journalFailed logs a failed journal write and counts it: a write refused
// by the lease's fence as "fenced" (another process leads now), any other
// as "journal".
func (c *Controller) journalFailed(target, what string, err error, log *slog.Logger) {
	if errors.Is(err, headroom.ErrFenced) {
		c.Metrics.errored(target, "fenced")
		log.Error(what+": refused, another process holds the lease now", "err", err)
		return
	}
	c.Metrics.errored(target, "journal")
	log.Error(what, "err", err)
}
