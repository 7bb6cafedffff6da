package controller

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/detect"
	"github.com/headroomhq/headroom/engine"
)

// DefaultRefresh is how old a target's saved engine or detector state may
// grow while only its clocks move (the time of the last decision, the
// next sync, the newest sample of a stabilization window, the detector's
// history): a restart or a takeover resumes from a memory at most this
// much older than the loop's, and from the exact memory of every
// decision, alert and rule change.
const DefaultRefresh = time.Minute

// kept is what the loop keeps of a target between its iterations, so that
// a steady loop reads nothing back from the journal and writes only what
// changed. It belongs to one Controller and one lease token: a new process
// (a restart) or a new term of the lease (another process may have led
// meanwhile) starts from the journal again.
type kept struct {
	owner    *Controller
	token    int64
	live     slotKept
	proposed slotKept
	detector *detect.Detector
	detSaved savedKey
}

// slotKept is an engine state slot: the state the next decision starts
// from (valid when ok) and what the journal holds of it.
type slotKept struct {
	st    engine.State
	ok    bool
	saved savedKey
}

// savedKey is the last state written to a slot: its key (the state
// without the clocks that move every loop) and the loop time it was
// written at.
type savedKey struct {
	key []byte
	at  time.Time
}

// due reports whether a state whose key is key must be written at now:
// it changed, or the saved copy's clocks are Refresh old.
func (s savedKey) due(key []byte, now time.Time, refresh time.Duration) bool {
	return s.key == nil || !bytes.Equal(s.key, key) || now.Sub(s.at) >= refresh || now.Before(s.at)
}

// keptOf returns t's kept memory for this controller and lease token,
// starting it anew when either changed.
func (c *Controller) keptOf(t *Target, token int64) *kept {
	if t.kept == nil || t.kept.owner != c || t.kept.token != token {
		t.kept = &kept{owner: c, token: token}
	}
	return t.kept
}

// forget drops what t's loop kept: the next iteration reads the journal.
func (t *Target) forget() { t.kept = nil }

func (c *Controller) refresh() time.Duration {
	if c.Refresh <= 0 {
		return DefaultRefresh
	}
	return c.Refresh
}

// state returns the engine's memory for slot s: the one kept from the
// previous loop, or the journal's, or a new one (the service has been
// steady at its current count).
func (c *Controller) state(ctx context.Context, j headroom.Journal, s *slotKept, target, slot string, p *headroom.Policy, now time.Time, current headroom.Capacity) (engine.State, error) {
	if s.ok {
		return s.st, nil
	}
	data, ok, err := j.State(ctx, target, slot)
	if err != nil {
		return engine.State{}, err
	}
	if !ok {
		return engine.NewState(p, now).Settled(now, current.Total()), nil
	}
	var st engine.State
	if err := json.Unmarshal(data, &st); err != nil {
		return engine.State{}, fmt.Errorf("decode engine state: %w", err)
	}
	return st, nil
}

// save keeps the engine's memory st for the next loop, and writes it to
// the journal when it changed (or force, after an actuation), or when the
// journal's copy is Refresh old. A failed write forgets the kept state: the
// next loop reads the journal's, as before the write.
func (c *Controller) save(ctx context.Context, j headroom.Journal, s *slotKept, target, slot string, st engine.State, now time.Time, force bool) error {
	key, err := json.Marshal(engineKey(st))
	if err != nil {
		return fmt.Errorf("encode engine state: %w", err)
	}
	if !force && !s.saved.due(key, now, c.refresh()) {
		s.st, s.ok = st, true
		return nil
	}
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode engine state: %w", err)
	}
	if err := j.SaveState(ctx, target, slot, data); err != nil {
		*s = slotKept{}
		return err
	}
	*s = slotKept{st: st, ok: true, saved: savedKey{key: key, at: now}}
	return nil
}

// engineKey is st without the clocks every loop moves: the last decision,
// the next sync and the newest sample of each stabilization window (a
// steady recommendation replaces it each sync). Every other sample's time
// is final once a newer one joins the window, and is written then, since
// the window's values changed.
func engineKey(st engine.State) engine.State {
	st.LastEval, st.NextSync = time.Time{}, time.Time{}
	st.UpWindow, st.DownWindow = withoutNewestTime(st.UpWindow), withoutNewestTime(st.DownWindow)
	return st
}

func withoutNewestTime(w []engine.Sample) []engine.Sample {
	if len(w) == 0 {
		return w
	}
	out := append([]engine.Sample(nil), w...)
	out[len(out)-1].At = time.Time{}
	return out
}

// detectorKey is the detector's memory without what moves every loop (the
// newest sample's time, the history's buckets): its rules' states and
// alerts, the cause's shortfall and cut.
func detectorKey(st detect.State) ([]byte, error) {
	st.LastSample, st.History = time.Time{}, detect.History{}
	return json.Marshal(st)
}
